import type { Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths, type Segment } from "../../../fsqueue/index.ts";
import { planRenewal, readLease, readSegments, requireLease, submitSegment } from "../../../lease/index.ts";
import { localRemote } from "../../../remote/index.ts";
import { parseSegmentEnd } from "../../../runner/index.ts";
import { runQuery, scancelJobs } from "../../../slurm/index.ts";
import type { Context } from "../../context.ts";
import { printJson } from "../../output.ts";

/**
 * `rv lease renew --lease L --after JOB --segment-end EPOCH`: run by a segment's batch script when it starts,
 * on the compute node. Submits the next segment by the lease's policy (after this one, or to begin shortly
 * before its end), unless the lease was released or its time is spent. Safe to run twice: a segment is planned
 * once.
 */
export async function runLeaseRenew(
  ctx: Context,
  _config: Config,
  options: { lease: string; after: string; segmentEnd?: string },
): Promise<number> {
  const lease = requireLease(ctx.root, options.lease);
  if (lease.kind !== "slurm") throw new RvError("usage", `lease ${lease.id} is not a Slurm lease`);
  const p = leasePaths(ctx.root, lease.id);
  const segments = readSegments(p);
  const plan = planRenewal(lease, segments, options.after, segmentClock(ctx, segments, options));
  if (plan.kind === "stop") {
    report(ctx, { renewed: false, why: plan.why });
    return 0;
  }
  const remote = localRemote();
  const segment = await submitSegment(remote, ctx.root, lease, plan, `segment ${plan.n - 1} on ${ctx.host}`, ctx.now());
  // A release that read the segments before this one was written would not have cancelled it.
  if (readLease(ctx.root, lease.id)?.state !== "active") {
    await runQuery(remote, scancelJobs([segment.jobId]));
    report(ctx, { renewed: false, why: "the lease was released meanwhile", cancelled: segment.jobId });
    return 0;
  }
  report(ctx, { renewed: true, segment: segment.n, jobId: segment.jobId, after: segment.after });
  return 0;
}

/** The running segment's end as its script read it from Slurm; without it, its walltime from now. */
function segmentClock(ctx: Context, segments: Segment[], options: { after: string; segmentEnd?: string }) {
  const nowEpoch = Math.floor(ctx.now().getTime() / 1000);
  const given = parseSegmentEnd("--segment-end", options.segmentEnd);
  const wall = segments.find((s) => s.jobId === options.after)?.wallSeconds ?? 0;
  return { nowEpoch, endsAtEpoch: given === undefined ? nowEpoch + wall : Math.floor(given / 1000) };
}

function report(ctx: Context, data: Record<string, unknown>): void {
  if (ctx.json) printJson(ctx.io, data);
  else ctx.io.err(`rv lease renew: ${JSON.stringify(data)}\n`);
}
