import { describePhase } from "../../../lease/index.ts";
import { leaseClaimOp, leaseEndSegmentOp, leaseRenewOp, leaseSuperviseOp } from "../../../ops/index.ts";
import { parseSegmentEnd } from "../../../runner/index.ts";
import type { Context } from "../../context.ts";
import { parseCount } from "../../flags.ts";
import { printJson } from "../../output.ts";
import { placeOfLease } from "../../route.ts";

/** The status a job that lost the race exits its claim with; its batch script then ends the job. */
const LOST = 3;

/** `rv lease claim --lease L --attempt A --rank R --job J`: run by each racing job of segment 0 as it starts. */
export async function runLeaseClaim(
  ctx: Context,
  options: { lease: string; attempt: string; rank: string; part?: string; job: string; segmentEnd?: string },
): Promise<number> {
  const outcome = await ctx.local.call(leaseClaimOp, {
    lease: options.lease,
    attempt: parseCount("--attempt", options.attempt, 1) ?? 1,
    rank: parseCount("--rank", options.rank, 1) ?? 1,
    part: parseCount("--part", options.part, 0) ?? 0,
    job: options.job,
    segmentEndMs: parseSegmentEnd("--segment-end", options.segmentEnd) ?? null,
  });
  report(ctx, "claim", outcome);
  return outcome.won ? 0 : LOST;
}

/** `rv lease renew --lease L --after JOB --segment-end EPOCH`: run by a segment's batch script when it starts. */
export async function runLeaseRenew(
  ctx: Context,
  options: { lease: string; after: string; segmentEnd?: string },
): Promise<number> {
  const segmentEndMs = parseSegmentEnd("--segment-end", options.segmentEnd) ?? null;
  report(
    ctx,
    "renew",
    await ctx.local.call(leaseRenewOp, { lease: options.lease, after: options.after, segmentEndMs }),
  );
  return 0;
}

/** `rv lease end-segment --lease L --segment N`: run by a segment's batch script when Slurm warns of its end. */
export async function runLeaseEndSegment(ctx: Context, options: { lease: string; segment: string }): Promise<number> {
  const segment = parseCount("--segment", options.segment, 0) ?? 0;
  const result = await ctx.local.call(leaseEndSegmentOp, { lease: options.lease, segment });
  if (ctx.json) printJson(ctx.io, result);
  return 0;
}

/**
 * `rv lease supervise L`: one pass of the lease's supervisor where the lease is; it prints what it did (the
 * journal's new lines) and where the lease stands. Watchdog jobs and segments run it on the cluster.
 */
export async function runLeaseSupervise(
  ctx: Context,
  id: string,
  options: { ending?: string; watch?: boolean },
): Promise<number> {
  const input = { lease: id, ending: options.ending ?? null, watch: options.watch ?? false };
  const place = input.ending !== null || input.watch ? ctx.local : placeOfLease(ctx, id);
  const { did, ...look } = await place.call(leaseSuperviseOp, input);
  if (ctx.json) {
    printJson(ctx.io, { lease: look.lease.id, phase: look.phase, did });
    return 0;
  }
  for (const entry of did) ctx.io.out(`${entry.at}\t${entry.did}\n`);
  ctx.io.out(`${look.lease.id}\t${describePhase(look.phase)}\n`);
  return 0;
}

function report(ctx: Context, verb: string, data: object): void {
  if (ctx.json) printJson(ctx.io, { ...data });
  else ctx.io.err(`rv lease ${verb}: ${JSON.stringify(data)}\n`);
}
