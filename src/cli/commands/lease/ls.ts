import { isLiveRunner } from "../../../lease/index.ts";
import { type LeaseRow, leaseListOp } from "../../../ops/index.ts";
import { rememberClusterNames } from "../../completion/cache.ts";
import type { Context } from "../../context.ts";
import { formatTime, printJson, renderTable } from "../../output.ts";
import { gather, missingJson, placesFor, reportMissing } from "../../route.ts";

/** Every lease, here and on the cluster (one round trip): a cluster out of reach is reported, the rest listed. */
export async function runLeaseLs(ctx: Context): Promise<number> {
  const { reached, missing } = await gather(placesFor(ctx, null), (place) =>
    place.call(leaseListOp, { summaries: true }),
  );
  for (const { place, value } of reached) {
    if (place.kind === "cluster") rememberClusterNames(ctx.root, place.name, { leases: value.leases.map((l) => l.id) });
  }
  const rows = reached.flatMap(({ place, value }) => value.leases.map((lease) => ({ ...lease, where: place.name })));
  if (ctx.json) {
    printJson(ctx.io, { leases: rows.map(jsonRow), missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "leases");
  render(ctx, rows);
  return 0;
}

function jsonRow({ id, kind, state, createdAt, where, summary }: LeaseRow & { where: string }) {
  return { ...summary, id, kind, state, createdAt, where };
}

function render(ctx: Context, leases: (LeaseRow & { where: string })[]): void {
  if (leases.length === 0) {
    ctx.io.err("no leases yet: rv lease up --local (or just rv submit -- CMD)\n");
    return;
  }
  const now = ctx.now();
  const rows = leases.map(({ id, kind, state, createdAt, where, summary: s, live }) => {
    const runners = s?.runners.filter(isLiveRunner).length ?? 0;
    return [
      id,
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
  const header = ["lease", "where", "kind", "state", "runners", "gpus", "pending", "running", "done", "created"];
  ctx.io.out(renderTable(ctx.io, header, rows));
}
