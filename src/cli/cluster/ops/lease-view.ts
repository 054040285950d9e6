import { userInfo } from "node:os";
import { z } from "zod";
import {
  cancelLosers,
  type RaceFiles,
  type RaceRow,
  raceRows,
  raceStanding,
  readClaim,
  readLatestRace,
  readRaceFiles,
} from "../../../alloc/index.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths, type Segment, type SlurmLease } from "../../../fsqueue/index.ts";
import {
  type LeasePhase,
  leasePhase,
  planReplacement,
  readSegments,
  requireLease,
  segmentToBeginNow,
  submitSegment,
  timeLeftSeconds,
  writeSegment,
} from "../../../lease/index.ts";
import {
  isFinished,
  type JobStatus,
  jobStatus,
  runQuery,
  scancelJobs,
  scontrolBeginNow,
} from "../../../slurm/index.ts";
import { type LeaseSummary, readSummary } from "../../commands/status.ts";
import type { ClusterSide } from "../side.ts";

export const LeaseViewArgsSchema = z.object({
  lease: z.string(),
  /** Also the race's decision and each job's script and Slurm output (`rv lease show --alloc`). */
  alloc: z.boolean().default(false),
});
export type LeaseViewArgs = z.infer<typeof LeaseViewArgsSchema>;

export interface SegmentView {
  segment: Segment;
  job: JobStatus;
}

export interface LeaseViewResult {
  lease: SlurmLease;
  segments: SegmentView[];
  /** Where it stands: queued, running, renewing, released, expired, or failed and why. */
  phase: LeasePhase;
  /** How much longer it holds its GPUs as planned (timeLeftSeconds). */
  timeLeftSeconds: number;
  summary: LeaseSummary;
  /** The race for segment 0, while it runs and after (who won, who lost); null for a lease that never raced. */
  race: RaceRow[] | null;
  /** Only when asked for: the newest race in full, and where each job's script and output are kept. */
  alloc: RaceFiles | null;
}

/**
 * A Slurm lease as it stands: its record, each segment with what Slurm says of its job now (one squeue and
 * one sacct for all of them), and its runners and tasks. A segment whose job has ended gets its end recorded
 * from Slurm, once; a lease whose segments all died early gets a new one, or its successor held for a begin
 * time (overlap) is told to begin now. A released lease's segments still queued are cancelled: a runner that
 * released the lease when it went idle cannot cancel them itself (it runs inside the job before them).
 */
export async function leaseViewOp(side: ClusterSide, args: LeaseViewArgs): Promise<LeaseViewResult> {
  const { root } = side.ctx;
  const lease = requireLease(root, args.lease);
  if (lease.kind !== "slurm") {
    throw new RvError("usage", `lease ${lease.id} on the cluster is not a Slurm lease`);
  }
  const p = leasePaths(root, lease.id);
  const race = await viewRace(side, p, lease);
  const segments = readSegments(p);
  const jobs = await jobStatus(
    side.remote,
    segments.map((s) => s.jobId),
  );
  const views = segments.map((segment, i) => ({ segment: recordEnd(p, segment, jobs[i]), job: jobs[i] as JobStatus }));
  if (lease.state === "released") await cancelQueued(side, jobs);
  else await beginSuccessorNow(side, jobs);
  const replacement = await replaceIfDead(side, lease, segments, jobs);
  const all = "view" in replacement ? [...views, replacement.view] : views;
  const refused = "refused" in replacement ? replacement.refused : null;
  const [allSegments, allJobs] = [all.map((v) => v.segment), all.map((v) => v.job)];
  const nowEpoch = Math.floor(side.ctx.now().getTime() / 1000);
  const phase =
    all.length === 0 && race && lease.state === "active"
      ? racePhase(race)
      : leasePhase(lease, allSegments, allJobs, refused);
  return {
    lease,
    segments: all,
    race,
    alloc: args.alloc ? readRaceFiles(p) : null,
    phase,
    timeLeftSeconds: timeLeftSeconds(lease, allSegments, allJobs, nowEpoch),
    summary: readSummary(side.ctx, side.config, lease.id),
  };
}

/**
 * The race's rows. Before a claim, a released lease's racers are cancelled (no runner exists to do it); after
 * one, losers still alive are cancelled again, in case the winner's own sweep missed one (a job submitted after it).
 */
async function viewRace(
  side: ClusterSide,
  p: ReturnType<typeof leasePaths>,
  lease: SlurmLease,
): Promise<RaceRow[] | null> {
  const race = readLatestRace(p);
  if (!race) return null;
  const claim = readClaim(p);
  const ids = race.entries.flatMap((e) => (e.jobId ? [e.jobId] : []));
  const jobs = await jobStatus(side.remote, ids);
  const alive = jobs.filter((j) => j.state && !isFinished(j.state.kind) && j.jobId !== claim?.jobId);
  if (alive.length > 0 && (claim || lease.state === "released")) {
    await cancelLosers(side.remote, race, claim?.jobId ?? "", userInfo().username);
  }
  return raceRows(race, claim, jobs);
}

function racePhase(rows: readonly RaceRow[]): LeasePhase {
  const standing = raceStanding(rows);
  return standing.on
    ? { kind: "racing", waiting: standing.waiting, of: rows.length }
    : { kind: "failed", why: standing.why };
}

/**
 * Whoever looks at a lease whose segments all died early (scancel, a failed node, a renewal that failed at
 * the start) while time is left submits the next one: the lease goes on, and its queued tasks with it.
 */
async function replaceIfDead(
  side: ClusterSide,
  lease: SlurmLease,
  segments: Segment[],
  jobs: readonly JobStatus[],
): Promise<{ view: SegmentView } | { refused: string } | { none: true }> {
  const alive = (jobId: string) => {
    const kind = jobs.find((j) => j.jobId === jobId)?.state?.kind;
    return kind !== undefined && !isFinished(kind);
  };
  const plan = planReplacement(lease, segments, alive);
  if (plan.kind !== "replace") return { none: true };
  const by = `rv on ${side.ctx.host}, replacing segment ${plan.n - 1} that ended early`;
  try {
    const segment = await submitSegment(side.remote, side.ctx.root, lease, plan, by, side.ctx.now());
    const [job] = await jobStatus(side.remote, [segment.jobId]);
    return { view: { segment, job: job as JobStatus } };
  } catch (error) {
    // Reported as the lease's failure; the next look tries again (a refusal may pass: a limit, a full queue).
    if (error instanceof RvError && error.code === "cluster") return { refused: error.message };
    throw error;
  }
}

/** A successor held back by its begin time while nothing of the lease runs: told to begin now. */
async function beginSuccessorNow(side: ClusterSide, jobs: readonly JobStatus[]): Promise<void> {
  const jobId = segmentToBeginNow(jobs);
  if (jobId !== null) await runQuery(side.remote, scontrolBeginNow(jobId));
}

function recordEnd(p: ReturnType<typeof leasePaths>, segment: Segment, job: JobStatus | undefined): Segment {
  if (segment.ended || !job?.state || !isFinished(job.state.kind)) return segment;
  const iso = (i: JobStatus["start"]) => (i?.kind === "at" ? new Date(i.epoch * 1000).toISOString() : null);
  const ended = {
    ...segment,
    ended: { state: job.state.raw, start: iso(job.start), end: iso(job.end), nodes: job.nodes },
  };
  writeSegment(p, ended);
  return ended;
}

async function cancelQueued(side: ClusterSide, jobs: readonly JobStatus[]): Promise<void> {
  const queued = jobs.filter((j) => j.state?.kind === "pending").map((j) => j.jobId);
  if (queued.length) await runQuery(side.remote, scancelJobs(queued));
}
