import { type Race, type RaceRow, RaceRowSchema, raceRows, raceStanding } from "../allocator/index.ts";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  type LeasePaths,
  leasePaths,
  type Segment,
  SegmentSchema,
  type SlurmLease,
  SlurmLeaseSchema,
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
import { z } from "../zod.ts";
import type { LeaseEnv } from "./env.ts";
import { journal, readJournal, SupervisionEntrySchema } from "./journal.ts";
import { partNumbers, partsOf, previousInPart, segmentsOfPart } from "./parts.ts";
import { type LeasePhase, LeasePhaseSchema, leasePhase, type Refusals, timeLeftSeconds } from "./phase.ts";
import { RaceFilesSchema, readRaceFiles } from "./race/files.ts";
import { cancelLosers, loserJobIds } from "./race/losers.ts";
import { planRace, type RacerView, startRace } from "./race/start.ts";
import { readClaim, readLatestRace } from "./race/store.ts";
import { recordEndedWinner } from "./race/win.ts";
import { planRecovery, type Recovery } from "./recovery.ts";
import { type SegmentPlan, segmentToBeginNow } from "./renewal.ts";
import { type Failure, mergedRetry, ofPart, type Retry, type RetryStep, retryStep, withFailure } from "./retry.ts";
import { readSegments, submitSegment, writeSegment } from "./segments.ts";
import { readLease, readRetry, requireLease, updateRetry } from "./store.ts";
import { giveTurnBack, takeRaceTurn, takeSegmentTurn } from "./turn.ts";
import { fitSegmentToSite, readSegmentSite } from "./walltime.ts";
import { cancelWatchdogs } from "./watchdog.ts";

export const SegmentViewSchema = deferred(() => z.object({ segment: SegmentSchema, job: JobStatusSchema }));
export type SegmentView = z.infer<typeof SegmentViewSchema>;

/** What a supervisor would do now, as a reader's look sees it; `sinceEpoch`: since when it has been due. */
export const DueSchema = deferred(() => z.object({ acts: z.array(z.string()), sinceEpoch: z.nullable(z.number()) }));
export type Due = z.infer<typeof DueSchema>;

/**
 * How long a reader lets an act stay due before it acts itself: a watchdog starts within a second or two of
 * the end that wakes it, so a reader acts only for a lease whose watchdog could not run.
 */
export const NUDGE_AFTER_SECONDS = 60;

/** Whether a reader's look should be followed by a supervisor's pass (a nudge). */
export function isOverdue(due: Due | null, nowEpoch: number): boolean {
  return due !== null && (due.sinceEpoch === null || nowEpoch - due.sinceEpoch >= NUDGE_AFTER_SECONDS);
}

/** What a look at a Slurm lease learns, without its runners and tasks. */
export const SlurmLeaseLookSchema = deferred(() =>
  z.object({
    lease: SlurmLeaseSchema,
    segments: z.array(SegmentViewSchema),
    /** Where it stands: queued, running, renewing, released, expired, or failed and why. */
    phase: LeasePhaseSchema,
    /** How much longer it holds its GPUs as planned (timeLeftSeconds). */
    timeLeftSeconds: z.number(),
    /** The race for segment 0, while it runs and after (who won, who lost); null for a lease that never raced. */
    race: z.nullable(z.array(RaceRowSchema)),
    /** Only when asked for: the newest race in full, and where each job's script and output are kept. */
    alloc: z.nullable(RaceFilesSchema),
    /** What the lease's supervisor is yet to do (a reader's look); null when nothing. */
    due: z.nullable(DueSchema),
    /**
     * A lease of parts with a part that waits out its backoff while others run (its phase says running): when that
     * part may be tried again, epoch seconds, so that its supervisor leaves a wake-up; absent: none waits.
     */
    partRetryAtEpoch: z.optional(z.number()),
    /** The supervisor's newest acts, oldest first (lease/journal.ts). */
    supervision: z.array(SupervisionEntrySchema),
  }),
);
export type SlurmLeaseLook = z.infer<typeof SlurmLeaseLookSchema>;

/**
 * Who supervises: `by` names it in the journal; `ending` is a segment's own job in its last moments, counted as
 * ended (it holds its GPUs until it exits, yet the lease must not wait for it); `self` is the job the supervisor
 * runs in, which it does not cancel.
 */
export interface Supervisor {
  by: string;
  ending: string | null;
  self: string | null;
}

/**
 * A Slurm lease as it stands, read only: its record, its race and each segment with what Slurm says of its job
 * now (one squeue and one sacct for all of them), and what its supervisor is yet to do (`due`). `alloc`: also
 * the race's decision and files.
 */
export function lookAtSlurmLease(env: LeaseEnv, id: string, options: { alloc: boolean }): Promise<SlurmLeaseLook> {
  return pass(env, id, options.alloc, null);
}

/**
 * The lease's supervisor: the same look, acting on what it sees, each act written to the lease's journal. A
 * segment whose job has ended gets its end recorded from Slurm, once. A lease of which nothing is alive though
 * time is left is recovered (planRecovery): a race with no winner runs again, a segment that died early is
 * replaced, each after a backoff, until too many failures in a row pause the lease. A successor held for a
 * begin time (overlap) is told to begin now. A released lease's watchdogs and queued segments are cancelled.
 * Run by watchdog jobs, by each segment's last act, by `rv lease supervise`, and by a reader that finds an act
 * overdue (docs/healing.md).
 */
export function superviseSlurmLease(
  env: LeaseEnv,
  id: string,
  supervisor: Supervisor,
  options: { alloc: boolean } = { alloc: false },
): Promise<SlurmLeaseLook> {
  return pass(env, id, options.alloc, supervisor);
}

/** Acts for a supervisor (and journals them); only notes them as due for a reader. */
interface Steps {
  supervisor: Supervisor | null;
  due: string[];
  /** Runs `act` when supervising and journals what it says it did; notes `what` as due when reading. */
  take(what: string, act: () => Promise<string | null>): Promise<void>;
  /** Journals an act taken (supervising only). */
  note(did: string): void;
}

function stepsFor(env: LeaseEnv, p: LeasePaths, supervisor: Supervisor | null): Steps {
  const due: string[] = [];
  const note = (did: string) => {
    if (supervisor) journal(p, supervisor.by, did, env.now());
  };
  return {
    supervisor,
    due,
    note,
    async take(what, act) {
      if (!supervisor) {
        due.push(what);
        return;
      }
      const did = await act();
      if (did !== null) note(did);
    },
  };
}

async function pass(env: LeaseEnv, id: string, alloc: boolean, supervisor: Supervisor | null): Promise<SlurmLeaseLook> {
  const { root } = env;
  const record = requireLease(root, id);
  if (record.kind !== "slurm") {
    throw new RvError("usage", `lease ${record.id} is not a Slurm lease`);
  }
  const p = leasePaths(root, record.id);
  const steps = stepsFor(env, p, supervisor);
  const race = readLatestRace(p);
  const slurmSays = await statusOf(env, [...raceJobIds(race), ...readSegments(p).map((s) => s.jobId)]);
  const status = countedEnded(slurmSays, supervisor?.ending ?? null);
  const lease = (supervisor && race && recordEndedWinner(root, race, status)) || record;
  const segments = readSegments(p);
  const rows = race ? await settleRace(env, lease, { race, segments }, status, steps) : null;
  const views = segments.map((segment) => ({
    segment: recordEnd(p, segment, slurmSays(segment.jobId), steps),
    job: status(segment.jobId),
  }));
  if (lease.state === "released") await cleanUpReleased(env, lease, views, steps);
  else for (const part of partViews(lease, views)) await beginSuccessorNow(env, part, steps);
  const recovered = await recover(env, lease, { race, rows, views, status }, steps);
  const [allSegments, allJobs] = [recovered.views.map((v) => v.segment), recovered.views.map((v) => v.job)];
  const nowEpoch = Math.floor(env.now().getTime() / 1000);
  const phase =
    allSegments.length === 0 && recovered.rows && lease.state === "active"
      ? racePhase(recovered.rows)
      : leasePhase(lease, allSegments, allJobs, recovered.refused);
  const jobsSeen = [...raceJobIds(race), ...segments.map((s) => s.jobId)].map(status);
  return {
    lease,
    segments: recovered.views,
    race: recovered.rows,
    alloc: alloc ? readRaceFiles(p) : null,
    phase: retryPhase(phase, recovered.retry, nowEpoch, {
      of: partsOf(lease),
      idle: somePartIdle(recovered.views, partsOf(lease)),
    }),
    timeLeftSeconds: timeLeftSeconds(lease, allSegments, allJobs, nowEpoch),
    due: steps.due.length > 0 ? { acts: steps.due, sinceEpoch: lastEndEpoch(jobsSeen) } : null,
    ...(recovered.partRetryAt !== null && { partRetryAtEpoch: recovered.partRetryAt }),
    supervision: readJournal(p),
  };
}

/** Slurm's word on every job of the lease, in one call: a lookup by job id. */
async function statusOf(env: LeaseEnv, jobIds: readonly string[]): Promise<(jobId: string) => JobStatus> {
  const unique = [...new Set(jobIds)];
  const answers = await jobStatus(env.remote, unique);
  return (jobId) => answers[unique.indexOf(jobId)] ?? unknownJobStatus(jobId);
}

/** What a segment's own job in its last moments reads as: ended, though Slurm still holds it. */
const ENDING = "ENDING";

/** A segment's own job in its last moments reads as ended, now. */
function countedEnded(status: (jobId: string) => JobStatus, ending: string | null): (jobId: string) => JobStatus {
  if (ending === null) return status;
  return (jobId) => {
    const job = status(jobId);
    if (jobId !== ending || (job.state && isFinished(job.state.kind))) return job;
    return { ...job, state: { kind: "completed", raw: ENDING }, reason: null };
  };
}

/** `ended CANCELLED`, or for a segment in its last act `is ending (its runners exited)`. */
function endOf(job: JobStatus): string {
  if (job.state?.raw === ENDING) return "is ending (its runners exited)";
  return `ended ${job.state?.raw ?? "unknown to Slurm"}`;
}

/** When the newest of the lease's ended jobs ended, epoch seconds; null when none has an end on record. */
function lastEndEpoch(jobs: readonly JobStatus[]): number | null {
  const ends = jobs.flatMap((j) => (j.state && isFinished(j.state.kind) && j.end?.kind === "at" ? [j.end.epoch] : []));
  return ends.length > 0 ? Math.max(...ends) : null;
}

function raceJobIds(race: Race | undefined): string[] {
  return race?.entries.flatMap((e) => (e.jobId ? [e.jobId] : [])) ?? [];
}

/**
 * The race's rows. Before a claim, a released lease's racers are cancelled (no runner exists to do it); after
 * one, losers still alive are cancelled again, in case the winner's own sweep missed one (a job submitted after it).
 * The lease's segments on record are never losers.
 */
async function settleRace(
  env: LeaseEnv,
  lease: SlurmLease,
  { race, segments }: { race: Race; segments: readonly Segment[] },
  status: (jobId: string) => JobStatus,
  steps: Steps,
): Promise<RaceRow[]> {
  const claim = readClaim(leasePaths(env.root, lease.id));
  const jobs = raceJobIds(race).map(status);
  const segmentJobs = segments.map((s) => s.jobId);
  const losers = new Set(loserJobIds(race, claim, [], segmentJobs));
  const alive = jobs.filter((j) => j.state && !isFinished(j.state.kind) && losers.has(j.jobId));
  if (alive.length > 0 && (claim || lease.state === "released")) {
    await steps.take(`cancel racer ${alive.map((j) => j.jobId).join(", ")}`, async () => {
      if (lease.state === "released")
        await cancelWatchdogs(env.remote, lease.id, env.user, [steps.supervisor?.self ?? null]);
      const cancelled = await cancelLosers(env.remote, race, claim, env.user, segmentJobs);
      return cancelled.length > 0 ? `cancelled racer ${cancelled.join(", ")} of race ${race.attempt}` : null;
    });
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

/**
 * A failed lease is retrying after a backoff (in a lease of parts, the part whose backoff ends first), or paused,
 * when its retry record says so. A lease of parts that runs on while a part with nothing alive is paused says so.
 */
export function retryPhase(phase: LeasePhase, retry: Retry, nowEpoch: number, parts: PartsIdle): LeasePhase {
  if (retry.paused && parts.idle && "parts" in phase && phase.parts) return { ...phase, paused: retry.paused.why };
  if (phase.kind !== "failed") return phase;
  const step = firstStep(retry, nowEpoch, parts.of);
  if (step.kind === "paused") return { kind: "paused", why: step.why };
  if (step.kind === "wait")
    return { kind: "retrying", untilEpoch: step.untilEpoch, failures: step.failures, why: step.why };
  return phase;
}

/** How many parts a lease has, and whether one of them has nothing alive. */
export interface PartsIdle {
  of: number;
  idle: boolean;
}

/** The lease's retry step; in a lease of parts, a pause, else the wait that ends first, else try. */
function firstStep(retry: Retry, nowEpoch: number, parts: number): RetryStep {
  if (parts === 1) return retryStep(retry, nowEpoch);
  const steps = partNumbers(parts).map((part) => retryStep(retry, nowEpoch, part));
  const waits = steps.flatMap((s) => (s.kind === "wait" ? [s] : []));
  const first = waits.sort((a, b) => a.untilEpoch - b.untilEpoch)[0];
  return steps.find((s) => s.kind === "paused") ?? first ?? { kind: "try" };
}

/** Whether a part of the lease has no job queued or running (its segments all ended, or none was submitted). */
function somePartIdle(views: readonly SegmentView[], parts: number): boolean {
  const alive = (v: SegmentView) => v.job.state !== null && !isFinished(v.job.state.kind);
  return partNumbers(parts).some((part) => !viewsOfPart(views, part, parts).some(alive));
}

interface Seen {
  race: Race | undefined;
  rows: RaceRow[] | null;
  views: SegmentView[];
  status: (jobId: string) => JobStatus;
}

export interface Recovered {
  rows: RaceRow[] | null;
  views: SegmentView[];
  /** Slurm's refusal of the segment that was to replace dead ones, by part. */
  refused: Refusals;
  retry: Retry;
  /** The earliest a part of a lease of parts that waits out its backoff may be tried again; null: none waits. */
  partRetryAt: number | null;
}

/** The views of each part of the lease (one part, all of them, for a lease without parts). */
function partViews(lease: SlurmLease, views: readonly SegmentView[]): SegmentView[][] {
  const parts = partsOf(lease);
  return partNumbers(parts).map((part) => viewsOfPart(views, part, parts));
}

function viewsOfPart(views: readonly SegmentView[], part: number, parts: number): SegmentView[] {
  return segmentsOfPart(views, (v) => v.segment.n, part, parts);
}

/**
 * Acts on planRecovery, for each part of the lease in turn (the whole lease when it has no parts): a new race, or
 * a replacement segment; the retry record is written when it changed, with one more failure when Slurm refused
 * what was submitted. A reader only notes the act as due.
 */
async function recover(env: LeaseEnv, lease: SlurmLease, seen: Seen, steps: Steps): Promise<Recovered> {
  const p = leasePaths(env.root, lease.id);
  const before = readRetry(p);
  const parts = partsOf(lease);
  let recovered: Recovered = { rows: seen.rows, views: seen.views, refused: {}, retry: before, partRetryAt: null };
  for (const part of partNumbers(parts)) {
    const views = viewsOfPart(recovered.views, part, parts);
    const partSeen = { ...seen, rows: recovered.rows, views, part: parts > 1 ? part : undefined };
    const done = await recoverPart(env, lease, partSeen, recovered.retry, steps);
    recovered = withPartRecovered(recovered, views, done);
  }
  // A look only reads: its own clock would stamp the failures it sees, which the supervisor alone records.
  if (!steps.supervisor) return recovered;
  if (recovered.retry === before) return recovered;
  // Another supervisor may have written the record since it was read: this pass's changes are merged into it.
  const retry = updateRetry(p, (current) => mergedRetry(current, before, recovered.retry));
  if (retry.paused && !before.paused)
    steps.note(`paused: ${retry.paused.why}; rv lease resume ${lease.id} tries again`);
  return { ...recovered, retry };
}

/** The lease's recovery so far with one more part's: its views in place of the part's old ones, in segment order. */
export function withPartRecovered(so: Recovered, old: readonly SegmentView[], done: Recovered): Recovered {
  const others = so.views.filter((v) => !old.includes(v));
  return {
    rows: done.rows,
    views: [...others, ...done.views].sort((a, b) => a.segment.n - b.segment.n),
    refused: { ...so.refused, ...done.refused },
    retry: done.retry,
    partRetryAt: earliest(so.partRetryAt, done.partRetryAt),
  };
}

/** `seen` of one part of a lease of parts (`part`), or of a whole lease without parts. */
type PartSeen = Seen & { part: number | undefined };

async function recoverPart(
  env: LeaseEnv,
  lease: SlurmLease,
  seen: PartSeen,
  before: Retry,
  steps: Steps,
): Promise<Recovered> {
  const now = env.now();
  // A racer holds the lease's GPUs too, before it is on record as segment 0; a lease of parts has no race.
  const racers = seen.part === undefined ? raceJobIds(seen.race).map(seen.status) : [];
  const plan = planRecovery({
    lease,
    ...(seen.part !== undefined && { part: seen.part }),
    segments: seen.views.map((v) => v.segment),
    stateOf: (jobId) => seen.status(jobId).state?.kind ?? null,
    endOf: (jobId) => endOf(seen.status(jobId)),
    holding: [...seen.views.map((v) => v.job), ...racers].some(
      (j) => j.state !== null && holdsAllocation(j.state.kind),
    ),
    race:
      seen.part === undefined && seen.race && seen.rows ? { attempt: seen.race.attempt, over: over(seen.rows) } : null,
    ...(seen.part !== undefined && seen.views.length === 0 && { partUnheld: partUnheld(env, lease, seen) }),
    retry: before,
    now,
  });
  if (!steps.supervisor) {
    if (plan.kind === "race") steps.due.push(`race again (attempt ${plan.attempt})`);
    if (plan.kind === "replace") steps.due.push(`submit segment ${plan.n} to replace the segments that ended`);
    const partRetryAt = partRetryAtEpoch(plan.retry, now, seen.part);
    return { rows: seen.rows, views: seen.views, refused: {}, retry: plan.retry, partRetryAt };
  }
  const acted = await act(env, lease, seen, plan, steps);
  const retry = afterActing(plan.retry, acted.failure, seen.part, now);
  return {
    rows: acted.rows,
    views: acted.views,
    refused: acted.refused === null ? {} : { [seen.part ?? 0]: acted.refused },
    retry,
    partRetryAt: partRetryAtEpoch(retry, now, seen.part),
  };
}

/**
 * Whether a part with no segment on record was won by a race of shapes and has no job alive: its racer's job, of
 * the claimed rank, is not known or has ended (a part of a lease asked with `--parts N` always has a segment).
 */
function partUnheld(env: LeaseEnv, lease: SlurmLease, seen: PartSeen): boolean {
  const claim = readClaim(leasePaths(env.root, lease.id));
  const race = seen.race;
  if (!claim || !race || claim.attempt !== race.attempt) return false;
  const racer = race.entries.find((e) => e.rank === claim.rank && e.part === seen.part && e.parts > 1);
  if (!racer) return false;
  const state = racer.jobId === null ? null : seen.status(racer.jobId).state;
  return state === null || isFinished(state.kind);
}

/** The retry record after an act: one more failure of the part acted for when Slurm refused what it submitted. */
export function afterActing(retry: Retry, failure: Failure | null, part: number | undefined, now: Date): Retry {
  return failure ? withFailure(retry, ofPart(failure, part), now) : retry;
}

/**
 * When a part of a lease of parts that waits out its backoff may be tried again, epoch seconds, from the record
 * as it stands after the part's act (a refusal counted); null for a lease without parts, or a part that waits not.
 */
export function partRetryAtEpoch(retry: Retry, now: Date, part: number | undefined): number | null {
  if (part === undefined) return null;
  const step = retryStep(retry, Math.floor(now.getTime() / 1000), part);
  return step.kind === "wait" ? step.untilEpoch : null;
}

function earliest(a: number | null, b: number | null): number | null {
  return a === null ? b : b === null ? a : Math.min(a, b);
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
  steps: Steps,
): Promise<Pick<Recovered, "rows" | "views"> & { refused: string | null; failure: Failure | null }> {
  const unchanged = { rows: seen.rows, views: seen.views, refused: null, failure: null };
  if (plan.kind === "race" && seen.race) {
    const rows = await raceAgain(env, lease, seen.race, plan.attempt);
    if (!rows) return unchanged;
    steps.note(`raced again: attempt ${plan.attempt}, ${rows.filter((r) => r.jobId).length} jobs submitted`);
    const why = over(rows);
    const failure = why === null ? null : { key: `race ${plan.attempt}`, what: `race ${plan.attempt}: ${why}` };
    return { ...unchanged, rows, failure };
  }
  if (plan.kind !== "replace") return unchanged;
  const last = seen.views.at(-1);
  const ended = last ? `segment ${last.segment.n} ${endOf(last.job)}` : "";
  const replaced = await replaceSegment(env, lease, plan, (segment) =>
    steps.note(`submitted segment ${plan.n} (job ${segment.jobId}): ${ended} with time left`),
  );
  if (replaced === null) return unchanged;
  if ("refused" in replaced) {
    steps.note(`Slurm refused segment ${plan.n}: ${replaced.refused}`);
    const failure = { key: `refused segment ${plan.n} at ${env.now().toISOString()}`, what: replaced.refused };
    return { ...unchanged, refused: replaced.refused, failure };
  }
  return { ...unchanged, views: [...seen.views, replaced] };
}

/**
 * A new race for a lease whose last one ended with no winner: decided anew, with the request and profile the
 * first was decided with. Null when another look took this attempt first (it races it, or raced it), or when no
 * strategy is left (the failure stands; the supervisor tries again after the backoff).
 */
async function raceAgain(env: LeaseEnv, lease: SlurmLease, last: Race, attempt: number): Promise<RaceRow[] | null> {
  const p = leasePaths(env.root, lease.id);
  const turn = takeRaceTurn(p, attempt, env.now());
  if (turn === null) return null;
  let submitted: RacerView[];
  try {
    const { decision, racers } = await planRace(env, lease, last.request, last.profile, attempt, last.shapes);
    submitted = await startRace(env, lease, { ...last, attempt, startedAt: env.now().toISOString(), decision }, racers);
  } catch (error) {
    // Nothing of this attempt is on record: the next supervisor may race it itself.
    if (readLatestRace(p)?.attempt !== attempt) giveTurnBack(turn);
    throw error;
  }
  const ids = submitted.flatMap((r) => (r.jobId ? [r.jobId] : []));
  await cancelIfReleased(env, lease.id, ids, null);
  const jobs = await jobStatus(env.remote, ids);
  const written = readLatestRace(p);
  return written ? raceRows(written, undefined, jobs) : null;
}

/**
 * The segment after those that all died early, in the winner's shape and fitted to the site now (MaxTime, the
 * reservations: fitSegmentToSite); null when another look is submitting it, or did. A refusal is reported as the
 * lease's failure, and counted: the supervisor tries again after the backoff (a refusal may pass: a limit, a
 * full queue). `recorded` runs the moment the segment is on record: a segment's last act has only Slurm's
 * KillWait after its TERM, and may be killed during the watchdog's submission or the look after it.
 */
async function replaceSegment(
  env: LeaseEnv,
  lease: SlurmLease,
  plan: SegmentPlan & { n: number },
  recorded: (segment: Segment) => void,
): Promise<SegmentView | { refused: string } | null> {
  const p = leasePaths(env.root, lease.id);
  const turn = takeSegmentTurn(p, plan.n, env.now());
  if (turn === null) return null;
  const previous = previousInPart(plan.n, partsOf(lease));
  const by =
    previous === null
      ? `rv on ${env.host}, for part ${plan.n}, which had no job`
      : `rv on ${env.host}, replacing segment ${previous} that ended early`;
  try {
    const nowEpoch = Math.floor(env.now().getTime() / 1000);
    const site = await readSegmentSite(env.remote, lease.request.partition);
    const fitted = fitSegmentToSite(plan, lease, readSegments(p), site, { nowEpoch, endsAtEpoch: nowEpoch });
    const segment = await submitSegment(env.remote, env.root, lease, fitted, by, env.now(), recorded);
    await cancelIfReleased(env, lease.id, [segment.jobId], null);
    const [job] = await jobStatus(env.remote, [segment.jobId]);
    return { segment, job: job as JobStatus };
  } catch (error) {
    giveTurnBack(turn);
    if (error instanceof RvError && error.code === "cluster") return { refused: error.message };
    throw error;
  }
}

/**
 * After a submission: a release that read the lease's jobs before these were recorded did not cancel them, so
 * they are cancelled here, the lease's watchdogs first (a job's cancellation would wake its watchdog). Whether
 * the lease was released.
 */
export async function cancelIfReleased(
  env: LeaseEnv,
  id: string,
  jobIds: readonly string[],
  self: string | null,
): Promise<boolean> {
  if (readLease(env.root, id)?.state === "active") return false;
  await cancelWatchdogs(env.remote, id, env.user, [self]);
  if (jobIds.length > 0) await runQuery(env.remote, scancelJobs(jobIds));
  return true;
}

/** A successor held back by its begin time while nothing of the lease runs: told to begin now. */
async function beginSuccessorNow(env: LeaseEnv, views: readonly SegmentView[], steps: Steps): Promise<void> {
  const jobId = segmentToBeginNow(views.map((v) => v.job));
  const waiting = views.find((v) => v.segment.jobId === jobId);
  if (!waiting) return;
  const what = `segment ${waiting.segment.n} (job ${jobId})`;
  await steps.take(`tell ${what} to begin now`, async () => {
    await runQuery(env.remote, scontrolBeginNow(waiting.segment.jobId));
    return `told ${what} to begin now: nothing of the lease was running`;
  });
}

/** A segment whose job has ended gets Slurm's word on how, once (a supervisor writes it; a reader only sees it). */
function recordEnd(p: LeasePaths, segment: Segment, job: JobStatus, steps: Steps): Segment {
  if (segment.ended || !job.state || !isFinished(job.state.kind)) return segment;
  const iso = (i: JobStatus["start"]) => (i?.kind === "at" ? new Date(i.epoch * 1000).toISOString() : null);
  const ended = {
    ...segment,
    ended: { state: job.state.raw, start: iso(job.start), end: iso(job.end), nodes: job.nodes },
  };
  if (steps.supervisor) {
    writeSegment(p, ended);
    const where = job.nodes.length > 0 ? ` on ${job.nodes.join(",")}` : "";
    steps.note(`segment ${segment.n} (job ${segment.jobId}) ended ${job.state.raw}${where}`);
  }
  return ended;
}

/** A released lease: its watchdogs, then its queued segments (whose cancellation would wake a watchdog). */
async function cleanUpReleased(env: LeaseEnv, lease: SlurmLease, views: readonly SegmentView[], steps: Steps) {
  const queued = views.filter((v) => v.job.state?.kind === "pending").map((v) => v.segment.jobId);
  if (!steps.supervisor) {
    if (queued.length > 0) steps.due.push(`cancel queued job ${queued.join(", ")} of the released lease`);
    return;
  }
  const watchdogs = await cancelWatchdogs(env.remote, lease.id, env.user, [steps.supervisor.self]);
  const cancelled = queued.length > 0 ? (await runQuery(env.remote, scancelJobs(queued))).signalled : [];
  const all = [...watchdogs, ...cancelled];
  if (all.length > 0) steps.note(`cancelled job ${all.join(", ")} of the released lease`);
}

/**
 * Seconds from one segment's end to the next one's start, as Slurm recorded them: a gap when positive, an
 * overlap when negative; null while not known. One for each segment after the first; in a lease of `parts`, from
 * the segment before it in its part (null for a part's first).
 */
export function renewalSeconds(segments: readonly SegmentView[], parts = 1): (number | null)[] {
  return segments.slice(1).map((next) => {
    const before = previousInPart(next.segment.n, parts);
    const prev = segments.find((s) => s.segment.n === before);
    const end = prev?.job.end?.kind === "at" && prev.segment.ended ? prev.job.end.epoch : null;
    const start = next.job.start?.kind === "at" && next.job.state?.kind !== "pending" ? next.job.start.epoch : null;
    return end !== null && start !== null ? start - end : null;
  });
}
