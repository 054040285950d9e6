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
  const each = [r.submitted, ...r.alsoSubmitted].map((s) => {
    const after = s.after ? `queued after job ${s.after}` : "queued";
    return `segment ${s.n} (job ${s.jobId}) ${after}`;
  });
  return `${head}; ${each.join(", ")}`;
}
