import type { WaitTally } from "../../ops/wait-tally.ts";
import { formatDuration } from "../output.ts";

/** The tallies of the places a wait runs in (this machine, the cluster), as one. */
export function combineTallies(tallies: readonly WaitTally[]): WaitTally {
  const sum = (pick: (t: WaitTally) => number) => tallies.reduce((total, t) => total + pick(t), 0);
  const ran = (outcome: "succeeded" | "failed") => ({
    count: sum((t) => t.ran[outcome].count),
    totalMs: sum((t) => t.ran[outcome].totalMs),
  });
  return {
    total: sum((t) => t.total),
    succeeded: sum((t) => t.succeeded),
    failed: sum((t) => t.failed),
    running: sum((t) => t.running),
    ran: { succeeded: ran("succeeded"), failed: ran("failed") },
  };
}

/**
 * How long until every task has ended: the mean run time of the ended tasks, times the tasks left, over the most
 * that were seen running at once. The mean is of the successes when there are any: a task that fails at once
 * says little of how long one takes to finish; with failures alone, they are all there is to go on. Null before
 * a task that ran has ended (nothing to estimate from); 0 when none is left; never negative.
 */
export function estimateRemainingMs(tally: WaitTally, parallelism: number): number | null {
  const left = tally.total - tally.succeeded - tally.failed;
  if (left <= 0) return 0;
  const ran = tally.ran.succeeded.count > 0 ? tally.ran.succeeded : tally.ran.failed;
  if (ran.count === 0) return null;
  const meanMs = ran.totalMs / ran.count;
  return Math.max(0, (meanMs * left) / Math.max(1, parallelism));
}

/**
 * The progress line of `rv wait`: `waiting: 3/10 done, 1 failed, 2 running, 1m05s elapsed, ETA ~2m10s`. Before
 * the first tally has come (a cluster still answering), elapsed time alone.
 */
export function progressLine(tally: WaitTally | null, elapsedMs: number, parallelism: number): string {
  const elapsed = `${formatDuration(elapsedMs)} elapsed`;
  if (!tally) return `waiting: ${elapsed}`;
  const parts = [`${tally.succeeded + tally.failed}/${tally.total} done`];
  if (tally.failed > 0) parts.push(`${tally.failed} failed`);
  if (tally.running > 0) parts.push(`${tally.running} running`);
  parts.push(elapsed);
  const etaMs = estimateRemainingMs(tally, parallelism);
  if (etaMs !== null && etaMs > 0) parts.push(`ETA ~${formatDuration(etaMs)}`);
  return `waiting: ${parts.join(", ")}`;
}
