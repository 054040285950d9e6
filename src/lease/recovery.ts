import type { Segment, SlurmLease } from "../fsqueue/index.ts";
import { isFinished, type JobStateKind } from "../slurm/index.ts";
import { planFirstSegment, planReplacement, type SegmentPlan } from "./renewal.ts";
import { clearedFailures, type Failure, ofPart, type Retry, retryStep, withFailure } from "./retry.ts";

/**
 * What a look at a Slurm lease knows of it: its records, and Slurm's word on each of its jobs. In a lease of
 * parts a look is about one part (`part`): `segments` and `holding` are then that part's, and it has no race.
 */
export interface RecoveryFacts {
  lease: SlurmLease;
  part?: number;
  segments: readonly Segment[];
  /** Slurm's state of a job of the lease; null when Slurm no longer knows it. */
  stateOf: (jobId: string) => JobStateKind | null;
  /** How a job that is no longer alive ended, in words (`ended CANCELLED`); by default from `stateOf`. */
  endOf?: (jobId: string) => string;
  /** Whether a job of the lease (a segment, or a racer that has not claimed yet) holds its GPUs now. */
  holding: boolean;
  /** The newest race, while the lease has no segment: `over` says why it ended with no winner, null while it runs. */
  race: { attempt: number; over: string | null } | null;
  /**
   * A part with no segment on record whose shape won a race of shapes, and no job of its own alive: its racer was
   * refused and not submitted since, or its job ended before it was recorded.
   */
  partUnheld?: boolean;
  retry: Retry;
  now: Date;
}

export type Recovery = { retry: Retry } & (
  | { kind: "none" }
  | { kind: "race"; attempt: number }
  | ({ kind: "replace" } & SegmentPlan)
  | { kind: "wait" }
  | { kind: "paused" }
);

/**
 * The one recovery function (pueue's model): from what a look sees, what to do about a lease (or a part of it) of
 * which nothing is alive though time is left. A race that ended with no winner is run again as a new attempt
 * (decided anew: the cluster has changed); a segment that died early is replaced in the winner's shape, as the
 * next of its part. Each such failure is counted once, and the retry record decides whether to act now, wait out
 * the backoff, or stay paused. A job that holds its GPUs clears the record (the part's failures, in a lease of
 * parts): the failures are no longer in a row.
 */
export function planRecovery(f: RecoveryFacts): Recovery {
  if (f.lease.state !== "active") return { kind: "none", retry: f.retry };
  if (f.holding) return { kind: "none", retry: clearedFailures(f.retry, f.part) };
  const failed = whatFailed(f);
  if (!failed) return { kind: "none", retry: f.retry };
  const retry = withFailure(f.retry, ofPart(failed.failure, f.part), f.now);
  const step = retryStep(retry, Math.floor(f.now.getTime() / 1000), f.part);
  if (step.kind !== "try") return { kind: step.kind, retry };
  return { ...failed.remedy, retry };
}

type Remedy = { kind: "race"; attempt: number } | ({ kind: "replace" } & SegmentPlan);

function whatFailed(f: RecoveryFacts): { failure: Failure; remedy: Remedy } | null {
  const last = f.segments.at(-1);
  if (!last && f.part !== undefined) {
    if (!f.partUnheld) return null;
    const failure = { key: `part ${f.part} unheld`, what: `part ${f.part} has no job: its racer was refused or ended` };
    return {
      failure,
      remedy: { kind: "replace", ...planFirstSegment(f.lease, f.lease.request.segmentSeconds, f.part) },
    };
  }
  if (!last) {
    if (!f.race || f.race.over === null) return null;
    const failure = { key: `race ${f.race.attempt}`, what: `race ${f.race.attempt}: ${f.race.over}` };
    return { failure, remedy: { kind: "race", attempt: f.race.attempt + 1 } };
  }
  const alive = (jobId: string) => {
    const kind = f.stateOf(jobId);
    return kind !== null && !isFinished(kind);
  };
  const plan = planReplacement(f.lease, f.segments, alive);
  if (plan.kind !== "replace") return null;
  const ended = f.endOf?.(last.jobId) ?? `ended ${f.stateOf(last.jobId)?.toUpperCase() ?? "unknown to Slurm"}`;
  const what = `segment ${last.n} (job ${last.jobId}) ${ended} with time left`;
  return { failure: { key: `segment ${last.n}`, what }, remedy: plan };
}
