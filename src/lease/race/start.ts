import { writeFileSync } from "node:fs";
import { z } from "zod";
import {
  type AllocRequest,
  CandidateSchema,
  type Decision,
  decide,
  generateStrategies,
  planProbes,
  type Race,
  readClusterState,
  type Strategy,
} from "../../allocator/index.ts";
import type { SiteProfile } from "../../allocator/profile/schema.ts";
import { leasePaths, raceFile, type SlurmLease } from "../../fsqueue/index.ts";
import {
  runQueries,
  runQuery,
  type SubmitOutcome,
  sbatchTestOnly,
  scancelJobs,
  type TestOnly,
} from "../../slurm/index.ts";
import type { LeaseEnv } from "../env.ts";
import { planFirstSegment } from "../renewal.ts";
import { segmentSbatchArgs, segmentScript } from "../segments.ts";
import { submitWatchdog, watchdogFiles } from "../watchdog.ts";
import { readClaim, writeRace } from "./store.ts";
import { submitRace } from "./submit.ts";
import { shapeLease, type UnshapedLease } from "./win.ts";

/** One strategy's job of a race: its script and sbatch arguments, then its job id or Slurm's refusal. */
export const RacerViewSchema = z.object({
  candidate: CandidateSchema,
  script: z.string(),
  sbatchArgs: z.array(z.string()),
  /** null for a dry run, and for a strategy Slurm refused. */
  jobId: z.string().nullable(),
  refused: z.string().nullable(),
});
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
  const state = await readClusterState(env.remote);
  const probed = planProbes(generateStrategies(ask, state, profile).strategies);
  const scripts = probed.map((s) => racerJob(env.root, lease, s, { attempt: 1, rank: 1 }, state.nowEpoch));
  const answers = await runQueries(
    env.remote,
    scripts.map((job) => sbatchTestOnly(job.sbatchArgs, job.script)),
  );
  const probes = new Map<string, TestOnly>(probed.map((s, i) => [s.id, answers[i] as TestOnly]));
  return decide(ask, state, profile, probes);
}

/** The kept strategies of a decision, best first, each as the job that would race for attempt `attempt`. */
export function racersOf(root: string, lease: UnshapedLease, decision: Decision, attempt: number): RacerView[] {
  return decision.candidates
    .filter((c) => c.kept)
    .sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))
    .map((candidate) => {
      const slot = { attempt, rank: candidate.rank ?? 0 };
      return { candidate, ...racerJob(root, lease, candidate.strategy, slot, decision.at), jobId: null, refused: null };
    });
}

/** A strategy's segment 0: the lease in that strategy's shape, claiming as its rank. */
function racerJob(
  root: string,
  lease: UnshapedLease,
  strategy: Strategy,
  slot: { attempt: number; rank: number },
  nowEpoch: number,
): { script: string; sbatchArgs: string[] } {
  const shaped = shapeLease(lease, strategy);
  // Always asks to renew: a lease extended while it races is planned anew by the winner, from the record then.
  const plan = { ...planFirstSegment(shaped, strategy.wallSeconds), renew: true };
  const output = raceFile(leasePaths(root, lease.id), slot.attempt, `${slot.rank}.out`);
  const script = segmentScript(root, shaped, plan, { ...slot, timeMinSeconds: strategy.timeMinSeconds, output });
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
  }));
  writeRace(p, { ...race, entries });
  for (const r of racers) {
    writeFileSync(raceFile(p, race.attempt, `${r.candidate.rank}.sh`), r.script, { mode: 0o600 });
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
