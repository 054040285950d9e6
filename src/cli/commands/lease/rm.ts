import { leaseRemoveOp, type Place } from "../../../ops/index.ts";
import { plural } from "../../../plural.ts";
import type { Context } from "../../context.ts";
import { formatBytes, printJson } from "../../output.ts";
import { placeOfLease } from "../../route.ts";

/**
 * `rv lease rm L...`: released leases go, wherever each lives, with everything in their directories. Nothing goes
 * while one named may not: each place checks its own leases first, and with leases in two places, a dry run in each
 * comes before any removal.
 */
export async function runLeaseRm(ctx: Context, ids: string[], options: { dryRun?: boolean }): Promise<number> {
  const dryRun = options.dryRun === true;
  const byPlace = new Map<Place, string[]>();
  for (const id of new Set(ids)) {
    const place = placeOfLease(ctx, id);
    byPlace.set(place, [...(byPlace.get(place) ?? []), id]);
  }
  const groups = [...byPlace];
  if (!dryRun && groups.length > 1) {
    for (const [place, leases] of groups) await place.call(leaseRemoveOp, { leases, dryRun: true });
  }
  const removed = [];
  for (const [place, leases] of groups) {
    const result = await place.call(leaseRemoveOp, { leases, dryRun });
    removed.push(...result.leases.map((lease) => ({ ...lease, where: place.name })));
  }
  if (ctx.json) {
    printJson(ctx.io, { dryRun, leases: removed });
    return 0;
  }
  for (const lease of removed) {
    const { unfinished, finished, archived } = lease.tasks;
    const tasks = [
      ...(unfinished ? [`${unfinished} unfinished`] : []),
      ...(finished ? [`${finished} finished`] : []),
      ...(archived ? [`${archived} archived`] : []),
    ];
    const what = `${plural(unfinished + finished + archived, "task")}${tasks.length ? ` (${tasks.join(", ")})` : ""}`;
    ctx.io.out(
      `${lease.id}\t${dryRun ? "would remove" : "removed"} ${lease.dir}: ${what}, ${formatBytes(lease.bytes)}\n`,
    );
  }
  return 0;
}
