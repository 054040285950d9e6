import { writeFileSync } from "node:fs";
import {
  type AllocRequest,
  CandidateSchema,
  type Decision,
  decide,
  generateStrategies,
  planProbes,
  type Race,
  type RaceEntry,
  raceShapes,
  readClusterState,
  type Strategy,
  spreadStrategy,
} from "../../allocator/index.ts";
import type { SiteProfile } from "../../allocator/profile/schema.ts";
import { deferred } from "../../deferred.ts";
import { leasePaths, type SlurmLease } from "../../fsqueue/index.ts";
import {
  runQueries,
  runQuery,
  type SubmitOutcome,
  sbatchTestOnly,
  scancelJobs,
  type TestOnly,
} from "../../slurm/index.ts";
import { z } from "../../zod.ts";
import type { LeaseEnv } from "../env.ts";
import { partAsk, partNumbers } from "../parts.ts";
import { planFirstSegment } from "../renewal.ts";
import { segmentSbatchArgs, segmentScript } from "../segments.ts";
import { submitWatchdog, watchdogFiles } from "../watchdog.ts";
import { racerFile, readClaim, writeRace } from "./store.ts";
import { submitRace } from "./submit.ts";
import { shapeLease, type UnshapedLease, withParts } from "./win.ts";

/** One strategy's job of a race: its script and sbatch arguments, then its job id or Slurm's refusal. */
export const RacerViewSchema = deferred(() =>
  z.object({
    candidate: CandidateSchema,
    script: z.string(),
    sbatchArgs: z.array(z.string()),
    /** null for a dry run, and for a strategy Slurm refused. */
    jobId: z.nullable(z.string()),
    refused: z.nullable(z.string()),
    /** In a race of shapes, how many parts the job's shape has and which of them it is (RaceEntry). */
    parts: z._default(z.int().check(z.positive()), 1),
    part: z._default(z.int().check(z.nonnegative()), 0),
  }),
);
export type RacerView = z.infer<typeof RacerViewSchema>;

/**
 * Reads the cluster and probes the strategies worth probing (one round trip each), then decides. Each probe
 * is the strategy's own segment script under `sbatch --test-only`: Slurm is asked exactly what would be
 * submitted, account included, so a bad account rules every strategy out before anything is queued.
 */
export async function decideOnCluster(
  env: LeaseEnv,
  lease: UnshapedLease,
  ask: AllocRequest,
  profile: SiteProfile | null,
): Promise<Decision> {
  const [decision] = await decideEachOnCluster(env, lease, [ask], profile);
  if (!decision) throw new Error("decideEachOnCluster answers each ask");
  return decision;
}

/** decideOnCluster for several asks at once (a race of shapes decides each part's): one read, one round of probes. */
async function decideEachOnCluster(
  env: LeaseEnv,
  lease: UnshapedLease,
  asks: readonly AllocRequest[],
  profile: SiteProfile | null,
): Promise<Decision[]> {
  const state = await readClusterState(env.remote);
  const probed = asks.map((ask) => planProbes(generateStrategies(ask, state, profile).strategies));
  const slot = { attempt: 1, rank: 1, parts: 1, part: 0 };
  const scripts = probed.flat().map((s) => racerJob(env.root, lease, s, slot, state.nowEpoch));
  const answers = await runQueries(
    env.remote,
    scripts.map((job) => sbatchTestOnly(job.sbatchArgs, job.script)),
  );
  const probes = new Map<string, TestOnly>(probed.flat().map((s, i) => [s.id, answers[i] as TestOnly]));
  return asks.map((ask) => decide(ask, state, profile, probes));
}

/** The race of attempt `attempt`: the lease's kept strategies, or with `shapes` a race of shapes (planShapeRace). */
export async function planRace(
  env: LeaseEnv,
  lease: UnshapedLease,
  ask: AllocRequest,
  profile: SiteProfile | null,
  attempt: number,
  shapes: boolean,
): Promise<{ decision: Decision; racers: RacerView[] }> {
  if (shapes) return planShapeRace(env, lease, ask, profile, attempt);
  const decision = await decideOnCluster(env, lease, ask, profile);
  return { decision, racers: racersOf(env.root, lease, decision, attempt) };
}

/** The kept strategies of a decision, best first, each as the job that would race for attempt `attempt`. */
export function racersOf(root: string, lease: UnshapedLease, decision: Decision, attempt: number): RacerView[] {
  return decision.candidates
    .filter((c) => c.kept)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    .map((candidate) => {
      const slot = { attempt, rank: candidate.rank ?? 0, parts: 1, part: 0 };
      const job = racerJob(root, lease, candidate.strategy, slot, decision.at);
      return { candidate, ...job, jobId: null, refused: null, parts: 1, part: 0 };
    });
}

/**
 * A race of shapes (`rv lease up --parts auto`; docs/cluster.md, "Racing shapes"): the lease whole, and as parts
 * (`raceShapes`), each shape decided as the allocator decides one part of a lease of parts (the best kept strategy,
 * or spread over partitions) and submitted as one job per part, all with the shape's rank. Fewer parts rank better:
 * when jobs of several shapes start in one scheduling pass, the lease is held in the fewest; they are submitted
 * last. The decision returned
 * is the whole lease's; a shape with no strategy is left out.
 */
async function planShapeRace(
  env: LeaseEnv,
  lease: UnshapedLease,
  ask: AllocRequest,
  profile: SiteProfile | null,
  attempt: number,
): Promise<{ decision: Decision; racers: RacerView[] }> {
  const shapes = raceShapes(ask.gpus);
  const decisions = await decideEachOnCluster(
    env,
    lease,
    shapes.map((parts) => (parts > 1 ? partAsk(ask, parts) : ask)),
    profile,
  );
  const chosen = shapes.flatMap((parts, i) => {
    const decision = decisions[i] as Decision;
    const best = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))[0];
    return best
      ? [{ parts, at: decision.at, candidate: { ...best, strategy: spreadStrategy(decision) ?? best.strategy } }]
      : [];
  });
  // Submitted most parts first: Slurm serves its queue first come, first served, and the whole lease's job queued
  // ahead of its parts would hold back, by its backfill reservation, the GPUs they could start on (under bench (g)'s
  // churn its first job then started after 166 s instead of ~40 s).
  const ranked = chosen.map((shape, i) => ({ ...shape, rank: i + 1 })).reverse();
  const racers = ranked.flatMap(({ parts, at, candidate, rank }) =>
    partNumbers(parts).map((part) => {
      const job = racerJob(env.root, lease, candidate.strategy, { attempt, rank, parts, part }, at);
      return { candidate: { ...candidate, rank }, ...job, jobId: null, refused: null, parts, part };
    }),
  );
  return { decision: decisions[0] as Decision, racers };
}

/**
 * A strategy's segment 0 (in a race of shapes, a part's first segment): the lease in that strategy's shape,
 * claiming as its rank. A part asks no `--time-min`, as in a lease of parts.
 */
function racerJob(
  root: string,
  lease: UnshapedLease,
  strategy: Strategy,
  slot: { attempt: number; rank: number; parts: number; part: number },
  nowEpoch: number,
): { script: string; sbatchArgs: string[] } {
  const shaped = withParts(shapeLease(lease, strategy), slot.parts);
  // Always asks to renew: a lease extended while it races is planned anew by the winner, from the record then.
  const plan = { ...planFirstSegment(shaped, strategy.wallSeconds, slot.part), renew: true };
  const output = racerFile(leasePaths(root, lease.id), slot.attempt, slot, "out");
  const timeMinSeconds = slot.parts > 1 ? null : strategy.timeMinSeconds;
  const script = segmentScript(root, shaped, plan, { ...slot, timeMinSeconds, output });
  return { script, sbatchArgs: segmentSbatchArgs(plan, nowEpoch) };
}

/**
 * Submits a race. The race is written before the first sbatch, and again as job ids come back, so that every
 * job that may exist is on record, whatever happens to this process. Slurm's refusals are in the answer. Then
 * the race's watchdog, which wakes the supervisor if every job ends before one claims the lease (the winner
 * cancels it when it claims).
 */
export async function startRace(
  env: LeaseEnv,
  lease: SlurmLease,
  race: Omit<Race, "entries">,
  racers: readonly RacerView[],
): Promise<RacerView[]> {
  const p = leasePaths(env.root, race.lease);
  const entries = racers.map((r) => ({
    rank: r.candidate.rank ?? 0,
    strategy: r.candidate.strategy,
    estimate: r.candidate.estimate,
    jobId: null,
    refused: null,
    parts: r.parts,
    part: r.part,
  }));
  writeRace(p, { ...race, entries });
  for (const [i, r] of racers.entries()) {
    writeFileSync(racerFile(p, race.attempt, entries[i] as RaceEntry, "sh"), r.script, { mode: 0o600 });
  }
  const record = (outcomes: ReadonlyMap<number, SubmitOutcome>) =>
    writeRace(p, { ...race, entries: entries.map((e, i) => ({ ...e, ...submission(outcomes.get(i)) })) });
  const outcomes = await submitRace(
    env.remote,
    racers.map((r) => ({ args: r.sbatchArgs, script: r.script })),
    record,
    (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
  const submitted = racers.map((r, i) => ({ ...r, ...submission(outcomes.get(i)) }));
  const jobs = submitted.flatMap((r) => (r.jobId ? [r.jobId] : []));
  if (jobs.length > 0) await watchRace(env, lease, race.attempt, jobs);
  return submitted;
}

/**
 * The race's watchdog. A racer that started and claimed the lease while the others were still being submitted
 * has found no watchdog to cancel: it is cancelled here (segment 0 has its own).
 */
async function watchRace(env: LeaseEnv, lease: SlurmLease, attempt: number, jobs: string[]): Promise<void> {
  const p = leasePaths(env.root, lease.id);
  const files = watchdogFiles(p, { race: attempt });
  const watchdog = await submitWatchdog(env.remote, env.root, lease, { kind: "afterany", jobs }, files);
  if ("jobId" in watchdog && readClaim(p)?.attempt === attempt) {
    await runQuery(env.remote, scancelJobs([watchdog.jobId]));
  }
}

/** A strategy's job id, or Slurm's refusal; neither before sbatch has answered. */
function submission(outcome: SubmitOutcome | undefined): { jobId: string | null; refused: string | null } {
  if (outcome === undefined) return { jobId: null, refused: null };
  return outcome.ok ? { jobId: outcome.jobId, refused: null } : { jobId: null, refused: outcome.error.message };
}

/** Each refused strategy and Slurm's reason, in one line. */
export function refusals(racers: readonly RacerView[]): string {
  return racers.map((r) => `${r.candidate.strategy.id}: ${r.refused}`).join("; ");
}
