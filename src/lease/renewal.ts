import { MIN_SEGMENT_SECONDS } from "../allocator/reservations.ts";
import type { ReservationNote, Segment, SlurmLease, SlurmRequest } from "../fsqueue/index.ts";
import { holdsAllocation } from "../slurm/parse/job-state.ts";
import type { JobStatus } from "../slurm/queries/job-status.ts";
import { epochOf } from "./epoch.ts";
import { nextInPart, partSegments, partsOf } from "./parts.ts";

/** What to submit for one segment; `segmentSbatchArgs` turns it into sbatch flags. */
export interface SegmentPlan {
  n: number;
  wallSeconds: number;
  /** The job this one runs after (afterany: the chain policy), or null. */
  after: string | null;
  /** Not before this time, epoch seconds (`--begin`: the overlap policy), or null for as soon as possible. */
  beginAt: number | null;
  /** How long this segment is planned to run beside the one before it (overlap); 0 otherwise. */
  overlapSeconds: number;
  /** Whether this segment asks for the next one when it starts. */
  renew: boolean;
  /** The reservation its walltime was shortened for (lease/walltime.ts); absent: none. */
  endsBefore?: ReservationNote;
  /** The reservations its begin time waits out; absent: none. */
  beginsAfter?: ReservationNote[];
}

type Stop = { kind: "stop"; why: string };

export type RenewalPlan = ({ kind: "renew" } & SegmentPlan) | Stop;

const TIME_SPENT = "the lease's total time is spent";

/**
 * How far ahead of a segment's end the next one may start under the overlap policy, when the lease does not
 * say: a quarter of the segment, between 1 and 10 minutes. Long enough to cover a short queue wait, short
 * enough that the GPUs held twice are a small share of the segment.
 */
export function defaultOverlapSeconds(segmentSeconds: number): number {
  return Math.min(600, Math.max(60, Math.floor(segmentSeconds / 4)));
}

export function overlapSecondsOf(request: SlurmRequest): number {
  return request.overlapSeconds ?? defaultOverlapSeconds(request.segmentSeconds);
}

/** From a segment job's start to its runners taking tasks (srun, rv's own start), kept as a margin. */
const RUNNER_START_SECONDS = 15;
/** How many of the newest queue waits the overlap is fitted to: the queue changes over a day. */
const RECENT_WAITS = 3;

/**
 * The overlap the next segment gets: the lease's (or the default) at least, and more when its segments waited
 * longer than that in the queue, so the successor's wait passes while this segment still runs tasks: the
 * longest recent wait with a quarter to spare. At most three quarters of a segment: a successor that starts
 * early takes the inbox over and the old segment ends when its tasks do, so the price of too long an overlap
 * is GPUs held twice while those tasks finish, not a lost segment.
 */
export function adaptiveOverlapSeconds(request: SlurmRequest, waits: readonly number[]): number {
  const base = overlapSecondsOf(request);
  const recent = waits.slice(-RECENT_WAITS);
  if (recent.length === 0) return base;
  const needed = Math.ceil(Math.max(...recent) * 1.25) + RUNNER_START_SECONDS;
  return Math.max(base, Math.min(needed, Math.floor((request.segmentSeconds * 3) / 4)));
}

/**
 * How long each segment waited in Slurm's queue once it could start, oldest first, in seconds: from its begin
 * time (overlap), its predecessor's end (chain) or its submission (the first segment, a replacement) to its
 * start. `current` is the segment starting now (renewal runs when a segment starts). A segment whose times are
 * not on record (yet) is left out.
 */
export function queueWaits(segments: readonly Segment[], current: { jobId: string; startEpoch: number }): number[] {
  return segments.flatMap((s) => {
    const start = s.jobId === current.jobId ? current.startEpoch : epochOf(s.ended?.start);
    const eligible = eligibleEpoch(s, segments);
    return start !== null && eligible !== null && start >= eligible ? [start - eligible] : [];
  });
}

/** When segment `s` could have started: its begin time, its predecessor's end (chain), else its submission. */
function eligibleEpoch(s: Segment, segments: readonly Segment[]): number | null {
  if (s.beginAt) return epochOf(s.beginAt);
  // An overlapped segment recorded before begin times were would count its planned delay as a wait.
  if ((s.overlapSeconds ?? 0) > 0) return null;
  if (s.after === null) return epochOf(s.submittedAt);
  return epochOf(segments.find((p) => p.jobId === s.after)?.ended?.end);
}

/**
 * The time the segments asked so far cover, counted in requested walltimes: a segment planned to overlap the
 * one before covers its walltime less the overlap. The lease's total is spent when this reaches it.
 */
export function coveredSeconds(segments: readonly Segment[]): number {
  return segments.reduce((sum, s) => sum + s.wallSeconds - (s.overlapSeconds ?? 0), 0);
}

/** When the segment running now is to end and what time it is, epoch seconds (both from the segment's job). */
export interface SegmentClock {
  nowEpoch: number;
  endsAtEpoch: number;
}

/**
 * Whether the segment of job `afterJobId` should be followed by another, how long that one may be, and when it
 * may start: `chain` runs it after this one (afterany); `overlap` lets it start `overlapSeconds` before this
 * one ends (adaptiveOverlapSeconds: longer when the lease's segments waited longer in the queue), and the new runners take the inbox over while the old ones drain. Idempotent: the segment after
 * `afterJobId` is planned once, whoever asks again. In a lease of parts, the segment after it is the next of its
 * part (parts.ts), planned from that part's segments alone: each part has the lease's whole time.
 */
export function planRenewal(
  lease: SlurmLease,
  segments: readonly Segment[],
  afterJobId: string,
  clock: SegmentClock,
): RenewalPlan {
  if (lease.state !== "active") return { kind: "stop", why: "the lease was released" };
  const current = segments.find((s) => s.jobId === afterJobId);
  if (!current) return { kind: "stop", why: `job ${afterJobId} is not a segment of lease ${lease.id}` };
  const n = nextInPart(current.n, partsOf(lease));
  if (segments.some((s) => s.n === n)) return { kind: "stop", why: `segment ${n} exists` };
  const part = partSegments(lease, segments, current.n);
  if (lease.request.renewal === "chain") return renewing(nextSegment(lease, part, { n, after: current.jobId }));
  const waits = queueWaits(part, { jobId: current.jobId, startEpoch: clock.nowEpoch });
  const overlap = adaptiveOverlapSeconds(lease.request, waits);
  const ahead = Math.min(overlap, Math.max(0, clock.endsAtEpoch - clock.nowEpoch));
  const beginAt = Math.max(clock.nowEpoch, clock.endsAtEpoch - ahead);
  return renewing(nextSegment(lease, part, { n, beginAt, overlapSeconds: ahead }));
}

function renewing(next: SegmentPlan | Stop): RenewalPlan {
  return "why" in next ? next : { kind: "renew", ...next };
}

/**
 * Segment `n` after `segments` (those of its part), which covers its walltime less its overlap: the segment length, or what is left
 * when that is less; it renews when time is left after it. No dependency, begin time or overlap unless given.
 */
function nextSegment(
  lease: SlurmLease,
  segments: readonly Segment[],
  how: { n: number } & Partial<Pick<SegmentPlan, "after" | "beginAt" | "overlapSeconds">>,
): SegmentPlan | Stop {
  const { n, after = null, beginAt = null, overlapSeconds = 0 } = how;
  const left = lease.request.totalSeconds - coveredSeconds(segments);
  if (left < MIN_SEGMENT_SECONDS) return { kind: "stop", why: TIME_SPENT };
  const wallSeconds = Math.min(lease.request.segmentSeconds, left + overlapSeconds);
  const renew = left - (wallSeconds - overlapSeconds) >= MIN_SEGMENT_SECONDS;
  return { n, wallSeconds, after, beginAt, overlapSeconds, renew };
}

/**
 * A lease (or one part of it: `segments` are then that part's) whose segments have all ended early (the job was
 * cancelled or its node failed, or the segment could not renew itself) while time is left: the next segment,
 * without a dependency, so the lease goes on. `alive` says whether Slurm still holds a job (pending or running).
 * Nothing when a segment is still alive.
 */
export function planReplacement(
  lease: SlurmLease,
  segments: readonly Segment[],
  alive: (jobId: string) => boolean,
): RenewalPlan | ({ kind: "replace" } & SegmentPlan) {
  if (lease.state !== "active") return { kind: "stop", why: "the lease was released" };
  const last = segments.at(-1);
  if (!last) return { kind: "stop", why: "the lease has no segment yet" };
  if (segments.some((s) => alive(s.jobId))) return { kind: "stop", why: "a segment is queued or running" };
  const next = nextSegment(lease, segments, { n: nextInPart(last.n, partsOf(lease)) });
  return "why" in next ? next : { kind: "replace", ...next };
}

/**
 * A first segment: the segment length (or `segmentSeconds`: the winning strategy's walltime, when a reservation
 * cut it shorter), or the whole lease when that is shorter; it renews if time is left. `n`: 0, or in a lease of
 * parts the part's number (each part's first segment).
 */
export function planFirstSegment(lease: SlurmLease, segmentSeconds = lease.request.segmentSeconds, n = 0): SegmentPlan {
  const wallSeconds = Math.min(segmentSeconds, lease.request.totalSeconds);
  const renew = lease.request.totalSeconds - wallSeconds >= MIN_SEGMENT_SECONDS;
  return { n, wallSeconds, after: null, beginAt: null, overlapSeconds: 0, renew };
}

/** The lease with `addSeconds` more in all: only the total changes, so segments already asked stay as they are. */
export function extendLease(lease: SlurmLease, addSeconds: number): SlurmLease {
  return { ...lease, request: { ...lease.request, totalSeconds: lease.request.totalSeconds + addSeconds } };
}

/**
 * Whether the last segment's script (of the lease, or of one part when `segments` are that part's) asks for a
 * successor when it starts. Not stored: every planner decides it
 * as "time is left after what the segments asked so far cover", and the total only ever grows, so the same
 * sum over the lease as it stands gives the answer those planners gave.
 */
export function lastSegmentRenews(lease: SlurmLease, segments: readonly Segment[]): boolean {
  return lease.request.totalSeconds - coveredSeconds(segments) >= MIN_SEGMENT_SECONDS;
}

export type ExtensionPlan = { kind: "submit"; segment: SegmentPlan } | { kind: "none"; why: string };

/**
 * What `rv lease extend` must submit besides the longer total. A last segment that renews will plan its
 * successor from the new total by itself. One that does not (it was to be the last) is followed now by the
 * next segment, chained after it whatever the lease's policy (the extension does not know when it ends); when
 * its job has ended already, that segment starts the lease again instead, since Slurm refuses a dependency on
 * a job it has forgotten. In a lease of parts, `segments` are one part's: each part is extended alike.
 */
export function planExtension(
  lease: SlurmLease,
  addSeconds: number,
  segments: readonly Segment[],
  lastJobEnded: boolean,
): ExtensionPlan {
  if (lease.state !== "active") return { kind: "none", why: `lease ${lease.id} was released` };
  const last = segments.at(-1);
  if (!last) {
    return { kind: "none", why: `lease ${lease.id} has no segment yet: the job that wins its race plans the next one` };
  }
  if (!lastJobEnded && lastSegmentRenews(lease, segments)) {
    return { kind: "none", why: `segment ${last.n} submits the next segment itself` };
  }
  const after = lastJobEnded ? null : last.jobId;
  const next = nextSegment(extendLease(lease, addSeconds), segments, { n: nextInPart(last.n, partsOf(lease)), after });
  if ("why" in next) {
    return {
      kind: "none",
      why: `less than ${MIN_SEGMENT_SECONDS / 60} minutes are left for another segment: extend by more`,
    };
  }
  return { kind: "submit", segment: next };
}

/**
 * Overlap renewal queues the next segment to begin shortly before its predecessor's end. When no segment job
 * runs any more (the one before ended early: scancel, a failed node) while that successor still waits for its
 * begin time, the wait holds up the lease for nothing: the job to begin now, if any. `jobs`: the lease's, or in
 * a lease of parts one part's (another part running does not hold this one's GPUs).
 */
export function segmentToBeginNow(jobs: readonly Pick<JobStatus, "jobId" | "state" | "reason">[]): string | null {
  const running = jobs.some((j) => j.state !== null && holdsAllocation(j.state.kind));
  if (running) return null;
  return jobs.find((j) => j.state?.kind === "pending" && j.reason === "BeginTime")?.jobId ?? null;
}
