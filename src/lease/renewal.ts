import type { Segment, SlurmLease } from "../fsqueue/index.ts";

export type RenewalPlan =
  | { kind: "renew"; n: number; wallSeconds: number; after: string; renew: boolean }
  | { kind: "stop"; why: string };

/** Slurm takes whole minutes; a segment shorter than this cannot hold a task worth starting. */
export const MIN_SEGMENT_SECONDS = 120;

/**
 * Whether the segment of job `afterJobId` should be followed by another, and how long that one may be: the
 * lease's total time is counted in requested walltimes, so it is spent when the segments asked so far sum to
 * it. Idempotent: the segment after `afterJobId` is planned once, whoever asks again.
 */
export function planRenewal(lease: SlurmLease, segments: readonly Segment[], afterJobId: string): RenewalPlan {
  if (lease.state !== "active") return { kind: "stop", why: "the lease was released" };
  const current = segments.find((s) => s.jobId === afterJobId);
  if (!current) return { kind: "stop", why: `job ${afterJobId} is not a segment of lease ${lease.id}` };
  if (segments.some((s) => s.n === current.n + 1)) return { kind: "stop", why: `segment ${current.n + 1} exists` };
  const asked = segments.reduce((sum, s) => sum + s.wallSeconds, 0);
  const left = lease.request.totalSeconds - asked;
  if (left < MIN_SEGMENT_SECONDS) return { kind: "stop", why: "the lease's total time is spent" };
  const wallSeconds = Math.min(lease.request.segmentSeconds, left);
  const renew = left - wallSeconds >= MIN_SEGMENT_SECONDS;
  return { kind: "renew", n: current.n + 1, wallSeconds, after: afterJobId, renew };
}

/** The first segment: the segment length, or the whole lease when that is shorter; it renews if time is left. */
export function planFirstSegment(lease: SlurmLease): { n: 0; wallSeconds: number; after: null; renew: boolean } {
  const wallSeconds = Math.min(lease.request.segmentSeconds, lease.request.totalSeconds);
  return { n: 0, wallSeconds, after: null, renew: lease.request.totalSeconds - wallSeconds >= MIN_SEGMENT_SECONDS };
}
