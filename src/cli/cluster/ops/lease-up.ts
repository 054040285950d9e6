import { rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import {
  AllocRequestSchema,
  type Candidate,
  type Decision,
  decide,
  generateStrategies,
  planProbes,
  probeArgs,
  type Race,
  readClusterState,
  requestWithStrategy,
  type Strategy,
  submitRace,
  writeRace,
} from "../../../alloc/index.ts";
import { SiteProfileSchema } from "../../../alloc/profile/schema.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths, PROTOCOL_VERSION, raceFile, type SlurmLease, SlurmRequestSchema } from "../../../fsqueue/index.ts";
import {
  ensureRoot,
  planFirstSegment,
  readLease,
  segmentSbatchArgs,
  segmentScript,
  writeLease,
} from "../../../lease/index.ts";
import { runQueries, type SubmitOutcome, sbatchTestOnly, type TestOnly } from "../../../slurm/index.ts";
import type { ClusterSide } from "../side.ts";

export const LeaseUpArgsSchema = z.object({
  lease: z.string(),
  ask: AllocRequestSchema,
  /** How the lease renews and lets go: the request's fields that no strategy changes. */
  policy: SlurmRequestSchema.pick({ renewal: true, overlapSeconds: true, idleReleaseSeconds: true }),
  profile: SiteProfileSchema.nullable(),
  /** The deployed rv the segments run: the same build as the caller. */
  rv: z.string(),
  dryRun: z.boolean().default(false),
});
export type LeaseUpArgs = z.infer<typeof LeaseUpArgsSchema>;

export interface RacerView {
  candidate: Candidate;
  script: string;
  sbatchArgs: string[];
  /** null for a dry run, and for a strategy Slurm refused. */
  jobId: string | null;
  refused: string | null;
}

export interface LeaseUpResult {
  lease: SlurmLease;
  decision: Decision;
  racers: RacerView[];
}

const ATTEMPT = 1;

/**
 * Creates a Slurm lease on the cluster: reads the cluster and probes the strategies (one round trip each),
 * ranks them, and submits the best few at once (DESIGN.md section 6). The race is decided on the cluster: the
 * first job to start claims the lease and cancels the others (`rv lease claim`). A dry run stops before
 * anything is written or submitted.
 */
export async function leaseUpOp(side: ClusterSide, args: LeaseUpArgs): Promise<LeaseUpResult> {
  const { root } = side.ctx;
  if (readLease(root, args.lease)) {
    throw new RvError("usage", `a lease named ${args.lease} exists already`, {
      hint: `pick another --name, or look at it: rv lease show ${args.lease}`,
    });
  }
  const decision = await decideOnCluster(side, args);
  const kept = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0));
  const best = kept[0];
  if (!best) throw noStrategy(decision);
  const lease = newLease(side, args, best.strategy);
  const racers = kept.map((candidate) => racer(root, lease, candidate, decision.at));
  if (args.dryRun) return { lease, decision, racers };
  return { lease, decision, racers: await startRace(side, lease, args, decision, racers) };
}

async function decideOnCluster(side: ClusterSide, args: LeaseUpArgs): Promise<Decision> {
  const state = await readClusterState(side.remote);
  const probed = planProbes(generateStrategies(args.ask, state, args.profile).strategies);
  // Probed as it would be submitted: an account Slurm refuses rules every strategy out before any is queued.
  const account = args.ask.account ? ["--account", args.ask.account] : [];
  const answers = await runQueries(
    side.remote,
    probed.map((s) => sbatchTestOnly([...probeArgs(s), ...account])),
  );
  const probes = new Map<string, TestOnly>(probed.map((s, i) => [s.id, answers[i] as TestOnly]));
  return decide(args.ask, state, args.profile, probes);
}

function newLease(side: ClusterSide, args: LeaseUpArgs, best: Strategy): SlurmLease {
  const { ask, policy } = args;
  const base = { ...policy, totalSeconds: ask.totalSeconds, account: ask.account };
  return {
    v: PROTOCOL_VERSION,
    id: args.lease,
    kind: "slurm",
    createdAt: side.ctx.now().toISOString(),
    host: hostname(),
    state: "active",
    request: requestWithStrategy(base, best),
    rv: args.rv,
  };
}

/** One strategy's first segment: the lease in that strategy's shape, claiming as its rank. */
function racer(root: string, lease: SlurmLease, candidate: Candidate, nowEpoch: number): RacerView {
  const shaped = { ...lease, request: requestWithStrategy(lease.request, candidate.strategy) };
  // Always asks to renew: a lease extended while it races is planned anew by the winner, from the record then.
  const plan = { ...planFirstSegment(shaped), renew: true };
  const rank = candidate.rank ?? 0;
  const output = raceFile(leasePaths(root, lease.id), ATTEMPT, `${rank}.out`);
  const slot = { attempt: ATTEMPT, rank, timeMinSeconds: candidate.strategy.timeMinSeconds, output };
  const script = segmentScript(root, shaped, plan, slot);
  return { candidate, script, sbatchArgs: segmentSbatchArgs(plan, nowEpoch), jobId: null, refused: null };
}

/**
 * The lease and its race are written before the first sbatch, and the race again as job ids come back, so that
 * every job that may exist is on record, whatever happens to this process.
 */
async function startRace(
  side: ClusterSide,
  lease: SlurmLease,
  args: LeaseUpArgs,
  decision: Decision,
  racers: RacerView[],
): Promise<RacerView[]> {
  const p = leasePaths(side.ctx.root, lease.id);
  ensureRoot(side.ctx.root);
  writeLease(side.ctx.root, lease);
  const race: Race = {
    v: 1,
    lease: lease.id,
    attempt: ATTEMPT,
    startedAt: side.ctx.now().toISOString(),
    request: args.ask,
    decision,
    entries: racers.map((r) => ({
      rank: r.candidate.rank ?? 0,
      strategy: r.candidate.strategy,
      estimate: r.candidate.estimate,
      jobId: null,
      refused: null,
    })),
  };
  writeRace(p, race);
  racers.forEach((r) => {
    writeFileSync(raceFile(p, ATTEMPT, `${r.candidate.rank}.sh`), r.script, { mode: 0o600 });
  });
  const record = (outcomes: ReadonlyMap<number, SubmitOutcome>) =>
    writeRace(p, { ...race, entries: race.entries.map((e, i) => ({ ...e, ...submission(outcomes.get(i)) })) });
  const outcomes = await submitRace(
    side.remote,
    racers.map((r) => ({ args: r.sbatchArgs, script: r.script })),
    record,
    (ms: number) => new Promise((resolve) => setTimeout(resolve, ms)),
  );
  const submitted = racers.map((r, i) => ({ ...r, ...submission(outcomes.get(i)) }));
  if (submitted.every((r) => r.jobId === null)) {
    // Nothing was queued under a lease Slurm refused every way: leave no lease behind that would never run.
    rmSync(p.dir, { recursive: true, force: true });
    throw new RvError("cluster", `Slurm refused every strategy of lease ${lease.id}: ${refusals(submitted)}`, {
      hint: "rv lease up --dry-run shows the strategies and their scripts; rv resources shows the partitions",
    });
  }
  return submitted;
}

/** A strategy's job id, or Slurm's refusal; neither before sbatch has answered. */
function submission(outcome: SubmitOutcome | undefined): { jobId: string | null; refused: string | null } {
  if (outcome === undefined) return { jobId: null, refused: null };
  return outcome.ok ? { jobId: outcome.jobId, refused: null } : { jobId: null, refused: outcome.error.message };
}

function refusals(racers: readonly RacerView[]): string {
  return racers.map((r) => `${r.candidate.strategy.id}: ${r.refused}`).join("; ");
}

/** Every strategy dropped: the reasons, each once, with the strategies it ruled out. */
function noStrategy(decision: Decision): RvError {
  const byWhy = new Map<string, string[]>();
  for (const c of decision.candidates) byWhy.set(c.why, [...(byWhy.get(c.why) ?? []), c.strategy.id]);
  const reasons = [...byWhy].slice(0, 4).map(([why, ids]) => `${why} (${ids.join(", ")})`);
  return new RvError(
    "usage",
    `no way to ask this cluster for that lease${reasons.length ? `: ${reasons.join("; ")}` : ""}`,
    {
      hint: "rv lease up --dry-run lists every strategy and why it was dropped; rv resources shows the GPUs there are",
    },
  );
}
