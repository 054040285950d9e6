import { deferred } from "../deferred.ts";
import type { Segment, SlurmLease } from "../fsqueue/index.ts";
import { holdsAllocation, isFinished, type JobStateKind } from "../slurm/parse/job-state.ts";
import type { JobStatus } from "../slurm/queries/job-status.ts";
import { z } from "../zod.ts";
import { partNumbers, partOf, partsOf, segmentsOfPart } from "./parts.ts";
import { coveredSeconds, lastSegmentRenews } from "./renewal.ts";

/** A lease of parts: how many of its parts hold their GPUs now, of how many. Absent for a lease of one part. */
const PartsCountSchema = deferred(() => z.optional(z.object({ running: z.number(), of: z.number() })));

/**
 * A lease of parts that runs on while a part of it, with nothing alive, is paused (lease/retry.ts): why. Absent
 * otherwise; the lease's own phase says paused when nothing of it runs.
 */
const PartPausedSchema = z.optional(z.string());

/** Where a Slurm lease stands, from its record, its segments and Slurm's word on their jobs (DESIGN.md 5). */
export const LeasePhaseSchema = deferred(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("racing"), waiting: z.number(), of: z.number() }),
    /** `segment`: in a lease of parts, which part's first segment is queued (absent: segment 0). */
    z.object({
      kind: z.literal("queued"),
      jobId: z.string(),
      segment: z.optional(z.number()),
      parts: PartsCountSchema,
      paused: PartPausedSchema,
    }),
    z.object({
      kind: z.literal("running"),
      segment: z.number(),
      jobId: z.string(),
      parts: PartsCountSchema,
      paused: PartPausedSchema,
    }),
    z.object({
      kind: z.literal("renewing"),
      segment: z.number(),
      jobId: z.string(),
      parts: PartsCountSchema,
      paused: PartPausedSchema,
    }),
    z.object({ kind: z.literal("released") }),
    z.object({ kind: z.literal("expired") }),
    z.object({ kind: z.literal("failed"), why: z.string() }),
    /** Nothing of it runs after a failure; its supervisor tries again after `untilEpoch` (lease/retry.ts). */
    z.object({
      kind: z.literal("retrying"),
      untilEpoch: z.number(),
      failures: z.number(),
      why: z.string(),
    }),
    /** Too many failures in a row: nothing is submitted until `rv lease resume`. */
    z.object({ kind: z.literal("paused"), why: z.string() }),
  ]),
);
export type LeasePhase = z.infer<typeof LeasePhaseSchema>;

/** A segment's job that ended like this did not end by rv's doing: a lease left with it has failed. */
const ABNORMAL: ReadonlySet<JobStateKind> = new Set([
  "cancelled",
  "failed",
  "node_fail",
  "boot_fail",
  "out_of_memory",
  "preempted",
  "deadline",
]);

type SegmentKind = { segment: Segment; kind: JobStateKind | null };

/** Slurm's refusal of the segment that was to replace a part's dead ones, by part (0 for a lease without parts). */
export type Refusals = Readonly<Record<number, string>>;

/**
 * `jobs[i]` is Slurm's word on `segments[i]`. `refused`: Slurm's refusal of the segment that was to replace
 * dead ones, for each part it refused one of. A lease with nothing alive has expired when its time is spent and its last segment
 * ended as rv ends them (completed, or at its time limit); otherwise it has failed, and `why` says how. A lease of
 * parts runs while any part holds its GPUs (and says how many do), and has ended when every part has: it failed
 * when one part did.
 */
export function leasePhase(
  lease: SlurmLease,
  segments: readonly Segment[],
  jobs: readonly Pick<JobStatus, "state">[],
  refused: Refusals,
): LeasePhase {
  if (lease.state === "released") return { kind: "released" };
  const kinds = segments.map((segment, i) => ({ segment, kind: jobs[i]?.state?.kind ?? null }));
  const parts = partsOf(lease);
  const holding = kinds.filter((k) => k.kind !== null && holdsAllocation(k.kind));
  const counted =
    parts > 1 ? { parts: { running: new Set(holding.map((k) => partOf(k.segment.n, parts))).size, of: parts } } : {};
  const running = holding.at(-1);
  if (running) return { kind: "running", segment: running.segment.n, jobId: running.segment.jobId, ...counted };
  const queued = kinds.find((k) => k.kind === "pending");
  if (queued) {
    const { n, jobId } = queued.segment;
    if (n >= parts) return { kind: "renewing", segment: n, jobId, ...counted };
    return parts > 1 ? { kind: "queued", jobId, segment: n, ...counted } : { kind: "queued", jobId };
  }
  if (kinds.length === 0) return { kind: "failed", why: "no segment was ever submitted" };
  const ofPart = (part: number) => segmentsOfPart(kinds, (k) => k.segment.n, part, parts);
  const ends = partNumbers(parts).map((part) => partEnd(lease, ofPart(part), refused[part] ?? null));
  return ends.find((end) => end.kind === "failed") ?? { kind: "expired" };
}

/** How the segments of a lease (or of one part) with nothing alive ended: expired, or failed and why. */
function partEnd(lease: SlurmLease, kinds: readonly SegmentKind[], refused: string | null): LeasePhase {
  const last = kinds.at(-1);
  if (!last) return { kind: "failed", why: "a part of the lease never had a segment submitted" };
  const ended = `segment ${last.segment.n} (job ${last.segment.jobId}) ended ${last.kind === null ? "unknown to Slurm" : last.kind.toUpperCase()}`;
  if (refused !== null) return { kind: "failed", why: `${ended}; ${refused}` };
  const renews = lastSegmentRenews(
    lease,
    kinds.map((k) => k.segment),
  );
  if (renews) return { kind: "failed", why: `${ended} with time left, and no segment follows` };
  if (last.kind !== null && ABNORMAL.has(last.kind))
    return { kind: "failed", why: `${ended} with the lease's time spent` };
  return { kind: "expired" };
}

/** One line for people: `running (segment 2, job 815)`, `running (2 of 4 parts running; segment 5, job 815)`. */
export function describePhase(phase: LeasePhase): string {
  switch (phase.kind) {
    case "racing":
      return `queued (racing ${phase.of} strategies, ${phase.waiting} still in the running)`;
    case "queued":
      return `queued (${partsText(phase.parts)}segment ${phase.segment ?? 0}, job ${phase.jobId})${pausedText(phase)}`;
    case "running":
    case "renewing": {
      const where = `segment ${phase.segment}, job ${phase.jobId}`;
      return `${phase.kind} (${partsText(phase.parts)}${where})${pausedText(phase)}`;
    }
    case "failed":
      return `failed: ${phase.why}`;
    case "retrying": {
      const at = new Date(phase.untilEpoch * 1000).toTimeString().slice(0, 8);
      return `retrying at ${at} (failure ${phase.failures} in a row: ${phase.why})`;
    }
    case "paused":
      return `paused: ${phase.why}`;
    default:
      return phase.kind;
  }
}

/** `; paused: why` for a lease of parts that runs on with a part paused. */
function pausedText({ paused }: { paused?: string | undefined }): string {
  return paused === undefined ? "" : `; paused: ${paused}`;
}

/** `2 of 4 parts running; ` for a lease of parts. */
function partsText(parts: { running: number; of: number } | undefined): string {
  return parts ? `${parts.running} of ${parts.of} parts running; ` : "";
}

/**
 * How much longer the lease holds its GPUs, as planned: what the running segments have left (their granted
 * end), what the queued ones will cover, and what no segment has asked for yet. 0 once released or ended. A lease
 * of parts: the part with the most left.
 */
export function timeLeftSeconds(
  lease: SlurmLease,
  segments: readonly Segment[],
  jobs: readonly Pick<JobStatus, "state" | "end">[],
  nowEpoch: number,
): number {
  if (lease.state === "released") return 0;
  const parts = partsOf(lease);
  const paired = segments.map((segment, i) => ({ segment, job: jobs[i] ?? { state: null, end: null } }));
  const lefts = partNumbers(parts).map((part) => {
    const own = segmentsOfPart(paired, (p) => p.segment.n, part, parts);
    return timeLeftOfPart(
      lease,
      own.map((p) => p.segment),
      own.map((p) => p.job),
      nowEpoch,
    );
  });
  return Math.max(0, ...lefts);
}

function timeLeftOfPart(
  lease: SlurmLease,
  segments: readonly Segment[],
  jobs: readonly Pick<JobStatus, "state" | "end">[],
  nowEpoch: number,
): number {
  const inSegments = segments.reduce((sum, segment, i) => {
    const job = jobs[i];
    const kind = job?.state?.kind;
    if (kind === undefined || isFinished(kind)) return sum;
    if (kind === "pending") return sum + segment.wallSeconds - (segment.overlapSeconds ?? 0);
    const end = job?.end?.kind === "at" ? job.end.epoch : nowEpoch + segment.wallSeconds;
    return sum + Math.max(0, end - nowEpoch);
  }, 0);
  const anyAlive = jobs.some((j) => j.state && !isFinished(j.state.kind));
  return anyAlive ? inSegments + Math.max(0, lease.request.totalSeconds - coveredSeconds(segments)) : 0;
}
