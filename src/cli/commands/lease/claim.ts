import { userInfo } from "node:os";
import { cancelLosers, claimRace, readRace, recordWin } from "../../../alloc/index.ts";
import type { Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths } from "../../../fsqueue/index.ts";
import { localRemote } from "../../../remote/index.ts";
import { parseSegmentEnd } from "../../../runner/index.ts";
import type { Context } from "../../context.ts";
import { parseCount } from "../../flags.ts";
import { printJson } from "../../output.ts";

/** Slurm starts the jobs of one scheduling pass within a second or two (sched_min_interval is 2 s on the seed cluster). */
const SETTLE_MS = 3000;
const DEFER_MS = 30_000;
const POLL_MS = 500;
/** The status a job that lost the race exits its claim with; its batch script then ends the job. */
const LOST = 3;

/**
 * `rv lease claim --lease L --attempt A --rank R --job J`: run first by each racing job of segment 0 when it
 * starts. The winner makes the lease its own and cancels its siblings; every other job is told to exit (status 3).
 */
export async function runLeaseClaim(
  ctx: Context,
  _config: Config,
  options: { lease: string; attempt: string; rank: string; job: string; segmentEnd?: string },
): Promise<number> {
  const p = leasePaths(ctx.root, options.lease);
  const race = readRace(p, parseCount("--attempt", options.attempt, 1) ?? 1);
  const rank = parseCount("--rank", options.rank, 1);
  const entry = race.entries.find((e) => e.rank === rank);
  if (!entry) throw new RvError("usage", `race ${race.attempt} of lease ${race.lease} has no rank ${rank}`);
  const me = {
    lease: race.lease,
    attempt: race.attempt,
    rank: entry.rank,
    strategyId: entry.strategy.id,
    jobId: options.job,
    node: ctx.env.SLURMD_NODENAME ?? null,
  };
  // A race of one has no sibling to wait for.
  const settleMs = race.entries.length > 1 ? SETTLE_MS : 0;
  const timing = { settleMs, deferMs: DEFER_MS, pollMs: POLL_MS, now: ctx.now, sleep };
  const outcome = await claimRace(p, me, timing);
  if (!outcome.won) {
    report(ctx, { won: false, why: outcome.why });
    return LOST;
  }
  const startEpoch = Math.floor(ctx.now().getTime() / 1000);
  const end = parseSegmentEnd("--segment-end", options.segmentEnd);
  recordWin(ctx.root, race, outcome.claim, { startEpoch, endEpoch: end === undefined ? null : Math.floor(end / 1000) });
  const cancelled = await cancelLosers(localRemote(), race, options.job, userInfo().username);
  report(ctx, { won: true, strategy: entry.strategy.id, cancelled });
  return 0;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function report(ctx: Context, data: Record<string, unknown>): void {
  if (ctx.json) printJson(ctx.io, data);
  else ctx.io.err(`rv lease claim: ${JSON.stringify(data)}\n`);
}
