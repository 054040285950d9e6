import type { Segment, SlurmLease } from "../fsqueue/index.ts";

export type RenewalPlan =
  | { kind: "renew"; n: number; wallSeconds: number; after: string; renew: boolean }
  | { kind: "stop"; why: string };

/** Slurm takes whole minutes; a segment shorter than this cannot hold a task worth starting. */
export const MIN_SEGMENT_SECONDS = 120;

const TIME_SPENT = "the lease's total time is spent";

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
  if (left < MIN_SEGMENT_SECONDS) return { kind: "stop", why: TIME_SPENT };
  const wallSeconds = Math.min(lease.request.segmentSeconds, left);
  const renew = left - wallSeconds >= MIN_SEGMENT_SECONDS;
  return { kind: "renew", n: current.n + 1, wallSeconds, after: afterJobId, renew };
}

/**
 * A lease whose segments have all ended early (the job was cancelled or its node failed, or the segment could
 * not renew itself) while time is left: the next segment, without a dependency, so the lease goes on. `alive`
 * says whether Slurm still holds a job (pending or running). Nothing when a segment is still alive.
 */
export function planReplacement(
  lease: SlurmLease,
  segments: readonly Segment[],
  alive: (jobId: string) => boolean,
): RenewalPlan | { kind: "replace"; n: number; wallSeconds: number; after: null; renew: boolean } {
  if (lease.state !== "active") return { kind: "stop", why: "the lease was released" };
  const last = segments.at(-1);
  if (!last) return { kind: "stop", why: "the lease has no segment yet" };
  if (segments.some((s) => alive(s.jobId))) return { kind: "stop", why: "a segment is queued or running" };
  const asked = segments.reduce((sum, s) => sum + s.wallSeconds, 0);
  const left = lease.request.totalSeconds - asked;
  if (left < MIN_SEGMENT_SECONDS) return { kind: "stop", why: TIME_SPENT };
  const wallSeconds = Math.min(lease.request.segmentSeconds, left);
  return { kind: "replace", n: last.n + 1, wallSeconds, after: null, renew: left - wallSeconds >= MIN_SEGMENT_SECONDS };
}

/** The first segment: the segment length, or the whole lease when that is shorter; it renews if time is left. */
export function planFirstSegment(lease: SlurmLease): { n: 0; wallSeconds: number; after: null; renew: boolean } {
  const wallSeconds = Math.min(lease.request.segmentSeconds, lease.request.totalSeconds);
  return { n: 0, wallSeconds, after: null, renew: lease.request.totalSeconds - wallSeconds >= MIN_SEGMENT_SECONDS };
}

/** The lease with `addSeconds` more in all: only the total changes, so segments already asked stay as they are. */
export function extendLease(lease: SlurmLease, addSeconds: number): SlurmLease {
  return { ...lease, request: { ...lease.request, totalSeconds: lease.request.totalSeconds + addSeconds } };
}

/**
 * Whether the last segment's script asks for a successor when it starts. Not stored: both planners decide it
 * as "time is left after the walltime asked so far", and the total only ever grows, so the same sum over the
 * lease as it stands gives the answer those planners gave.
 */
export function lastSegmentRenews(lease: SlurmLease, segments: readonly Segment[]): boolean {
  const asked = segments.reduce((sum, s) => sum + s.wallSeconds, 0);
  return lease.request.totalSeconds - asked >= MIN_SEGMENT_SECONDS;
}

export type ExtensionPlan =
  | { kind: "submit"; segment: { n: number; wallSeconds: number; after: string | null; renew: boolean } }
  | { kind: "none"; why: string };

/**
 * What `rv lease extend` must submit besides the longer total. A last segment that renews will plan its
 * successor from the new total by itself. One that does not (it was to be the last) is followed now by the
 * segment it would have planned, chained after it; when its job has ended already, that segment starts the
 * lease again instead, since Slurm refuses a dependency on a job it has forgotten.
 */
export function planExtension(
  lease: SlurmLease,
  addSeconds: number,
  segments: readonly Segment[],
  lastJobEnded: boolean,
): ExtensionPlan {
  const last = segments.at(-1);
  if (!last) return { kind: "none", why: `lease ${lease.id} has no segment yet` };
  if (!lastJobEnded && lastSegmentRenews(lease, segments)) {
    return { kind: "none", why: `segment ${last.n} submits the next segment itself` };
  }
  const plan = planRenewal(extendLease(lease, addSeconds), segments, last.jobId);
  if (plan.kind === "stop") {
    const short = `less than ${MIN_SEGMENT_SECONDS / 60} minutes are left for another segment: extend by more`;
    return { kind: "none", why: plan.why === TIME_SPENT ? short : plan.why };
  }
  const { n, wallSeconds, renew } = plan;
  return { kind: "submit", segment: { n, wallSeconds, after: lastJobEnded ? null : plan.after, renew } };
}
