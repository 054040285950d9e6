import { RvError } from "../../../errors.ts";
import { type LeaseExtendResult, leaseExtendOp } from "../../../ops/index.ts";
import type { Context } from "../../context.ts";
import { parseWalltime } from "../../flags.ts";
import { formatDuration, printJson } from "../../output.ts";
import { placeOfLease } from "../../route.ts";

/** `rv lease extend L --time T`: T more for a Slurm lease, done where the lease lives. */
export async function runLeaseExtend(ctx: Context, id: string, options: { time?: string }): Promise<number> {
  const addSeconds = parseWalltime("--time", options.time);
  if (addSeconds === undefined) throw new RvError("usage", "rv lease extend needs --time, e.g. --time 2h");
  const result = await placeOfLease(ctx, id).call(leaseExtendOp, { lease: id, addSeconds });
  if (ctx.json) printJson(ctx.io, { ...result });
  else ctx.io.out(`${describeExtension(result)}\n`);
  return 0;
}

/** `sweep  +2h00m, 26h00m in all; segment 9 (job 4711) queued after job 4710` */
export function describeExtension(r: LeaseExtendResult): string {
  const head = `${r.lease.id}\t+${formatDuration(r.addedSeconds * 1000)}, ${formatDuration(r.lease.request.totalSeconds * 1000)} in all`;
  if (!r.submitted) return `${head}; ${r.why}`;
  const after = r.submitted.after ? `queued after job ${r.submitted.after}` : "queued";
  return `${head}; segment ${r.submitted.n} (job ${r.submitted.jobId}) ${after}`;
}
