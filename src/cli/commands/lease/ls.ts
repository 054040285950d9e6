import { type BadLease, badLeaseText, isLiveRunner } from "../../../lease/index.ts";
import { type LeaseRow, leaseListOp, silentSink } from "../../../ops/index.ts";
import { rememberClusterNames } from "../../completion/cache.ts";
import type { Context } from "../../context.ts";
import { cut, formatTime, printJson, renderTable } from "../../output.ts";
import { gather, missingJson, placesFor, reportMissing } from "../../route.ts";

type Unreadable = BadLease & { where: string };

/**
 * Every lease, here and on the cluster (one round trip): a cluster out of reach is reported, the rest listed. A lease
 * whose record cannot be read is listed as such, with how to get it back.
 */
export async function runLeaseLs(ctx: Context): Promise<number> {
  // The op's warnings are not passed on: every lease they would name is shown below, with its hint.
  const { reached, missing } = await gather(placesFor(ctx, null), (place) =>
    place.call(leaseListOp, { summaries: true }, { sink: silentSink }),
  );
  for (const { place, value } of reached) {
    const leases = [...value.leases.map((l) => l.id), ...value.unreadable.map((bad) => bad.lease)];
    if (place.kind === "cluster") await rememberClusterNames(ctx.root, place.name, { leases });
  }
  const rows = reached.flatMap(({ place, value }) => value.leases.map((lease) => ({ ...lease, where: place.name })));
  const unreadable = reached.flatMap(({ place, value }) =>
    value.unreadable.map((bad) => ({ ...bad, where: place.name })),
  );
  if (ctx.json) {
    const bad = unreadable.map((b) => ({ ...b, hint: badLeaseText(b).hint }));
    printJson(ctx.io, { leases: rows.map(jsonRow), unreadable: bad, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "leases");
  render(ctx, rows, unreadable);
  for (const bad of unreadable) {
    const { message, hint } = badLeaseText(bad);
    ctx.io.err(`rv: ${message}\n  hint: ${hint}\n`);
  }
  return 0;
}

function jsonRow({ id, kind, state, createdAt, where, summary }: LeaseRow & { where: string }) {
  return { ...summary, id, kind, state, createdAt, where };
}

function render(ctx: Context, leases: (LeaseRow & { where: string })[], unreadable: Unreadable[]): void {
  if (leases.length === 0 && unreadable.length === 0) {
    ctx.io.err("no leases yet: rv lease up --local (or just rv submit -- CMD)\n");
    return;
  }
  const now = ctx.now();
  const rows = leases.map(({ id, kind, state, createdAt, where, summary: s, live }) => {
    const runners = s?.runners.filter(isLiveRunner).length ?? 0;
    return [
      cut(id),
      where,
      kind,
      state === "active" && !live ? "active (no runner)" : state,
      String(runners),
      `${s?.gpus.busy ?? 0}/${s?.gpus.total ?? 0}`,
      String(s?.counts.pending ?? 0),
      String(s?.counts.running ?? 0),
      String((s?.counts.succeeded ?? 0) + (s?.counts.failed ?? 0) + (s?.counts.cancelled ?? 0)),
      formatTime(ctx.io, createdAt, now),
    ];
  });
  for (const bad of unreadable) rows.push([cut(bad.lease), bad.where, "?", "bad record", "-", "-", "-", "-", "-", "-"]);
  const header = ["lease", "where", "kind", "state", "runners", "gpus", "pending", "running", "done", "created"];
  ctx.io.out(renderTable(ctx.io, header, rows));
}
