import { isFinished, type JobStatus } from "../slurm/index.ts";
import type { Claim, Race, RaceRow } from "./schema.ts";

/** The race as a person watches it: each strategy's job, what Slurm says of it, and how the race went for it. */
export function raceRows(race: Race, claim: Claim | undefined, jobs: readonly JobStatus[]): RaceRow[] {
  // by rank: a race of shapes submits its parts first
  const entries = [...race.entries].sort((a, b) => a.rank - b.rank || a.part - b.part);
  return entries.map((entry) => {
    const job = jobs.find((j) => j.jobId === entry.jobId);
    const planned = job?.start?.kind === "at" ? job.start.epoch : null;
    const row = {
      rank: entry.rank,
      strategyId: entry.strategy.id,
      ...(entry.parts > 1 && { parts: entry.parts, part: entry.part }),
      jobId: entry.jobId,
      startEpoch: planned ?? entry.estimate?.startEpoch ?? null,
      reason: job?.reason ?? null,
    };
    if (entry.refused !== null) return { ...row, state: "refused", reason: entry.refused };
    if (entry.jobId === null) return { ...row, state: "submitting" };
    const kind = job?.state?.kind ?? null;
    if (claim?.jobId === entry.jobId) return { ...row, state: "won", reason: null };
    // the winner's shape: each of its jobs is a part of the lease now, while it lives
    if (claim?.attempt === race.attempt && claim.rank === entry.rank) {
      if (kind === null || isFinished(kind))
        return { ...row, state: "ended", reason: job?.state?.raw ?? "unknown to Slurm" };
      return { ...row, state: "won", reason: `part ${entry.part} of ${entry.parts}` };
    }
    if (claim) return { ...row, state: kind === "cancelled" ? "cancelled" : "lost", reason: `${claim.strategyId} won` };
    if (kind === "pending") return { ...row, state: "pending" };
    if (kind === null || isFinished(kind))
      return { ...row, state: "ended", reason: job?.state?.raw ?? "unknown to Slurm" };
    return { ...row, state: "starting", reason: "claiming the lease" };
  });
}

/**
 * Where the race stands: won (its winner is recording segment 0, or has), still on (how many wait), or over
 * with nothing left to win it.
 */
export function raceStanding(
  rows: readonly RaceRow[],
): { kind: "won"; jobId: string } | { kind: "on"; waiting: number } | { kind: "over"; why: string } {
  const won = rows.find((r) => r.state === "won");
  if (won?.jobId) return { kind: "won", jobId: won.jobId };
  const waiting = rows.filter((r) => r.state === "pending" || r.state === "starting" || r.state === "submitting");
  if (waiting.length > 0) return { kind: "on", waiting: waiting.length };
  if (rows.length === 0) {
    return { kind: "over", why: "no strategy was left to submit (rv lease show --alloc gives each one's reason)" };
  }
  return {
    kind: "over",
    why: `every strategy's job ended before one claimed the lease (${rows.map((r) => `${r.strategyId}: ${r.reason}`).join("; ")})`,
  };
}
