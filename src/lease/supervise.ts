import { z } from "zod";
import { type Race, type RaceRow, RaceRowSchema, raceRows, raceStanding } from "../allocator/index.ts";
import { RvError } from "../errors.ts";
import {
  leasePaths,
  raceTurnFile,
  type Segment,
  SegmentSchema,
  type SlurmLease,
  SlurmLeaseSchema,
  segmentTurnFile,
} from "../fsqueue/index.ts";
import {
  holdsAllocation,
  isFinished,
  type JobStatus,
  JobStatusSchema,
  jobStatus,
  runQuery,
  scancelJobs,
  scontrolBeginNow,
  unknownJobStatus,
} from "../slurm/index.ts";
import type { LeaseEnv } from "./env.ts";
import { type LeasePhase, LeasePhaseSchema, leasePhase, timeLeftSeconds } from "./phase.ts";
import { RaceFilesSchema, readRaceFiles } from "./race/files.ts";
import { cancelLosers } from "./race/losers.ts";
import { decideOnCluster, type RacerView, racersOf, startRace } from "./race/start.ts";
import { readClaim, readLatestRace } from "./race/store.ts";
import { recordEndedWinner } from "./race/win.ts";
import { planRecovery, type Recovery } from "./recovery.ts";
import { type SegmentPlan, segmentToBeginNow } from "./renewal.ts";
import { type Retry, retryStep, withFailure } from "./retry.ts";
import { readSegments, submitSegment, writeSegment } from "./segments.ts";
import { readRetry, requireLease, writeRetry } from "./store.ts";
import { giveTurnBack, takeTurn } from "./turn.ts";

export const SegmentViewSchema = z.object({ segment: SegmentSchema, job: JobStatusSchema });
export type SegmentView = z.infer<typeof SegmentViewSchema>;

/** What a look at a Slurm lease learns (and what it did to keep the lease alive), without its runners and tasks. */
export const SlurmLeaseLookSchema = z.object({
  lease: SlurmLeaseSchema,
  segments: z.array(SegmentViewSchema),
  /** Where it stands: queued, running, renewing, released, expired, or failed and why. */
  phase: LeasePhaseSchema,
  /** How much longer it holds its GPUs as planned (timeLeftSeconds). */
  timeLeftSeconds: z.number(),
  /** The race for segment 0, while it runs and after (who won, who lost); null for a lease that never raced. */
  race: z.array(RaceRowSchema).nullable(),
  /** Only when asked for: the newest race in full, and where each job's script and output are kept. */
  alloc: RaceFilesSchema.nullable(),
});
export type SlurmLeaseLook = z.infer<typeof SlurmLeaseLookSchema>;

/**
 * A Slurm lease as it stands: its record, its race and each segment with what Slurm says of its job now (one
 * squeue and one sacct for all of them). A look also supervises: a segment whose job has ended gets its end
 * recorded from Slurm, once. A lease of which nothing is alive though time is left is recovered (planRecovery):
 * a race with no winner runs again, a segment that died early is replaced, each after a backoff, until too many
 * failures in a row pause the lease. A successor held for a begin time (overlap) is told to begin now. A released
 * lease's segments still queued are cancelled: a runner that released the lease when it went idle cannot cancel
 * them itself (it runs inside the job before them). `alloc`: also the race's decision and files.
 */
export async function superviseSlurmLease(
  env: LeaseEnv,
  id: string,
  options: { alloc: boolean } = { alloc: false },
): Promise<SlurmLeaseLook> {
  const { root } = env;
  const record = requireLease(root, id);
  if (record.kind !== "slurm") {
    throw new RvError("usage", `lease ${record.id} is not a Slurm lease`);
  }
  const p = leasePaths(root, record.id);
  const race = readLatestRace(p);
  const status = await statusOf(env, [...raceJobIds(race), ...readSegments(p).map((s) => s.jobId)]);
  const lease = (race && recordEndedWinner(root, race, status)) || record;
  const segments = readSegments(p);
  const rows = race ? await settleRace(env, lease, race, status) : null;
  const views = segments.map((segment) => ({
    segment: recordEnd(p, segment, status(segment.jobId)),
    job: status(segment.jobId),
  }));
  const jobs = views.map((v) => v.job);
  if (lease.state === "released") await cancelQueued(env, jobs);
  else await beginSuccessorNow(env, jobs);
  const recovered = await recover(env, lease, { race, rows, views, status });
  const [allSegments, allJobs] = [recovered.views.map((v) => v.segment), recovered.views.map((v) => v.job)];
  const nowEpoch = Math.floor(env.now().getTime() / 1000);
  const phase =
    allSegments.length === 0 && recovered.rows && lease.state === "active"
      ? racePhase(recovered.rows)
      : leasePhase(lease, allSegments, allJobs, recovered.refused);
  return {
    lease,
    segments: recovered.views,
    race: recovered.rows,
    alloc: options.alloc ? readRaceFiles(p) : null,
    phase: retryPhase(phase, recovered.retry, nowEpoch),
    timeLeftSeconds: timeLeftSeconds(lease, allSegments, allJobs, nowEpoch),
  };
}

/** Slurm's word on every job of the lease, in one call: a lookup by job id. */
async function statusOf(env: LeaseEnv, jobIds: readonly string[]): Promise<(jobId: string) => JobStatus> {
  const unique = [...new Set(jobIds)];
  const answers = await jobStatus(env.remote, unique);
  return (jobId) => answers[unique.indexOf(jobId)] ?? unknownJobStatus(jobId);
}

function raceJobIds(race: Race | undefined): string[] {
  return race?.entries.flatMap((e) => (e.jobId ? [e.jobId] : [])) ?? [];
}

/**
 * The race's rows. Before a claim, a released lease's racers are cancelled (no runner exists to do it); after
 * one, losers still alive are cancelled again, in case the winner's own sweep missed one (a job submitted after it).
 */
async function settleRace(
  env: LeaseEnv,
  lease: SlurmLease,
  race: Race,
  status: (jobId: string) => JobStatus,
): Promise<RaceRow[]> {
  const claim = readClaim(leasePaths(env.root, lease.id));
  const jobs = raceJobIds(race).map(status);
  const alive = jobs.filter((j) => j.state && !isFinished(j.state.kind) && j.jobId !== claim?.jobId);
  if (alive.length > 0 && (claim || lease.state === "released")) {
    await cancelLosers(env.remote, race, claim?.jobId ?? "", env.user);
  }
  return raceRows(race, claim, jobs);
}

function racePhase(rows: readonly RaceRow[]): LeasePhase {
  const standing = raceStanding(rows);
  if (standing.kind === "won") return { kind: "running", segment: 0, jobId: standing.jobId };
  return standing.kind === "on"
    ? { kind: "racing", waiting: standing.waiting, of: rows.length }
    : { kind: "failed", why: standing.why };
}

/** A failed lease is retrying after a backoff, or paused, when its retry record says so. */
function retryPhase(phase: LeasePhase, retry: Retry, nowEpoch: number): LeasePhase {
  if (phase.kind !== "failed") return phase;
  const step = retryStep(retry, nowEpoch);
  if (step.kind === "paused") return { kind: "paused", why: step.why };
  if (step.kind === "wait")
    return { kind: "retrying", untilEpoch: step.untilEpoch, failures: step.failures, why: step.why };
  return phase;
}

interface Seen {
  race: Race | undefined;
  rows: RaceRow[] | null;
  views: SegmentView[];
  status: (jobId: string) => JobStatus;
}

interface Recovered {
  rows: RaceRow[] | null;
  views: SegmentView[];
  /** Slurm's refusal of the segment that was to replace dead ones. */
  refused: string | null;
  retry: Retry;
}

/**
 * Acts on planRecovery: a new race, or a replacement segment; the retry record is written when it changed,
 * with one more failure when Slurm refused what was submitted.
 */
async function recover(env: LeaseEnv, lease: SlurmLease, seen: Seen): Promise<Recovered> {
  const p = leasePaths(env.root, lease.id);
  const before = readRetry(p);
  const now = env.now();
  const plan = planRecovery({
    lease,
    segments: seen.views.map((v) => v.segment),
    stateOf: (jobId) => seen.status(jobId).state?.kind ?? null,
    holding: [...seen.views.map((v) => v.job), ...raceJobIds(seen.race).map(seen.status)].some(
      (j) => j.state !== null && holdsAllocation(j.state.kind),
    ),
    race: seen.race && seen.rows ? { attempt: seen.race.attempt, over: over(seen.rows) } : null,
    retry: before,
    now,
  });
  const acted = await act(env, lease, seen, plan);
  const retry = acted.failure ? withFailure(plan.retry, acted.failure, now) : plan.retry;
  if (retry !== before) writeRetry(p, retry);
  return { rows: acted.rows, views: acted.views, refused: acted.refused, retry };
}

function over(rows: readonly RaceRow[]): string | null {
  const standing = raceStanding(rows);
  return standing.kind === "over" ? standing.why : null;
}

async function act(
  env: LeaseEnv,
  lease: SlurmLease,
  seen: Seen,
  plan: Recovery,
): Promise<Omit<Recovered, "retry"> & { failure: { key: string; what: string } | null }> {
  const unchanged = { rows: seen.rows, views: seen.views, refused: null, failure: null };
  if (plan.kind === "race" && seen.race) {
    const rows = await raceAgain(env, lease, seen.race, plan.attempt);
    if (!rows) return unchanged;
    const why = over(rows);
    const failure = why === null ? null : { key: `race ${plan.attempt}`, what: `race ${plan.attempt}: ${why}` };
    return { ...unchanged, rows, failure };
  }
  if (plan.kind !== "replace") return unchanged;
  const replaced = await replaceSegment(env, lease, plan);
  if (replaced === null) return unchanged;
  if ("refused" in replaced) {
    const failure = { key: `refused segment ${plan.n} at ${env.now().toISOString()}`, what: replaced.refused };
    return { ...unchanged, refused: replaced.refused, failure };
  }
  return { ...unchanged, views: [...seen.views, replaced] };
}

/**
 * A new race for a lease whose last one ended with no winner: decided anew, with the request and profile the
 * first was decided with. Null when another look took this attempt first (it races it), or when no strategy
 * is left (the failure stands; the next look after the backoff tries again).
 */
async function raceAgain(env: LeaseEnv, lease: SlurmLease, last: Race, attempt: number): Promise<RaceRow[] | null> {
  const p = leasePaths(env.root, lease.id);
  const turn = raceTurnFile(p, attempt);
  if (!takeTurn(turn, env.now())) return null;
  let submitted: RacerView[];
  try {
    const decision = await decideOnCluster(env, lease, last.request, last.profile);
    const racers = racersOf(env.root, lease, decision, attempt);
    submitted = await startRace(env, { ...last, attempt, startedAt: env.now().toISOString(), decision }, racers);
  } catch (error) {
    // Nothing of this attempt is on record: the next look may race it itself.
    if (readLatestRace(p)?.attempt !== attempt) giveTurnBack(turn);
    throw error;
  }
  const jobs = await jobStatus(
    env.remote,
    submitted.flatMap((r) => (r.jobId ? [r.jobId] : [])),
  );
  const written = readLatestRace(p);
  return written ? raceRows(written, undefined, jobs) : null;
}

/**
 * The segment after those that all died early, in the winner's shape; null when another look is submitting it.
 * A refusal is reported as the lease's failure, and counted: the next look after the backoff tries again (a
 * refusal may pass: a limit, a full queue).
 */
async function replaceSegment(
  env: LeaseEnv,
  lease: SlurmLease,
  plan: SegmentPlan & { n: number },
): Promise<SegmentView | { refused: string } | null> {
  const turn = segmentTurnFile(leasePaths(env.root, lease.id), plan.n);
  if (!takeTurn(turn, env.now())) return null;
  const by = `rv on ${env.host}, replacing segment ${plan.n - 1} that ended early`;
  try {
    const segment = await submitSegment(env.remote, env.root, lease, plan, by, env.now());
    const [job] = await jobStatus(env.remote, [segment.jobId]);
    return { segment, job: job as JobStatus };
  } catch (error) {
    giveTurnBack(turn);
    if (error instanceof RvError && error.code === "cluster") return { refused: error.message };
    throw error;
  }
}

/** A successor held back by its begin time while nothing of the lease runs: told to begin now. */
async function beginSuccessorNow(env: LeaseEnv, jobs: readonly JobStatus[]): Promise<void> {
  const jobId = segmentToBeginNow(jobs);
  if (jobId !== null) await runQuery(env.remote, scontrolBeginNow(jobId));
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

async function cancelQueued(env: LeaseEnv, jobs: readonly JobStatus[]): Promise<void> {
  const queued = jobs.filter((j) => j.state?.kind === "pending").map((j) => j.jobId);
  if (queued.length) await runQuery(env.remote, scancelJobs(queued));
}

/**
 * Seconds from one segment's end to the next one's start, as Slurm recorded them: a gap when positive, an
 * overlap when negative; null while not known.
 */
export function renewalSeconds(segments: readonly SegmentView[]): (number | null)[] {
  return segments.slice(1).map((next, i) => {
    const prev = segments[i];
    const end = prev?.job.end?.kind === "at" && prev.segment.ended ? prev.job.end.epoch : null;
    const start = next.job.start?.kind === "at" && next.job.state?.kind !== "pending" ? next.job.start.epoch : null;
    return end !== null && start !== null ? start - end : null;
  });
}
