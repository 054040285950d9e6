import type { Config } from "../../../config/index.ts";
import { leasePaths, newRunnerId, requestControl } from "../../../fsqueue/index.ts";
import { requireLease } from "../../../lease/index.ts";
import { segmentTarget } from "../../../runner/index.ts";
import type { Context } from "../../context.ts";
import { parseCount } from "../../flags.ts";
import { printJson } from "../../output.ts";

/**
 * `rv lease end-segment --lease L --segment N`: run by a segment's batch script when Slurm warns that the job
 * ends soon. Leaves `control/segment-<n>.end`, which the segment's runners on every node act on.
 */
export async function runLeaseEndSegment(
  ctx: Context,
  _config: Config,
  options: { lease: string; segment: string },
): Promise<number> {
  const lease = requireLease(ctx.root, options.lease);
  const segment = String(parseCount("--segment", options.segment, 0));
  const by = newRunnerId(`end-segment-${ctx.host}`, process.pid);
  requestControl(leasePaths(ctx.root, lease.id), segmentTarget(segment), "end", by, ctx.now());
  if (ctx.json) printJson(ctx.io, { lease: lease.id, segment: Number(segment), requested: "end" });
  return 0;
}
