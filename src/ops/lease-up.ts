import { rmSync } from "node:fs";
import {
  AllocRequestSchema,
  type Decision,
  DecisionSchema,
  type Strategy,
  spreadStrategy,
} from "../allocator/index.ts";
import { SiteProfileSchema } from "../allocator/profile/schema.ts";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  leasePaths,
  PROTOCOL_VERSION,
  type Segment,
  type SlurmLease,
  SlurmLeaseSchema,
  SlurmRequestSchema,
} from "../fsqueue/index.ts";
import {
  cancelSegmentJobs,
  cancelWatchdogs,
  decideOnCluster,
  ensureRoot,
  partAsk,
  partNumbers,
  partsOf,
  planFirstSegment,
  planRace,
  type RacerView,
  RacerViewSchema,
  readLease,
  refusals,
  type SegmentPlan,
  segmentSbatchArgs,
  segmentScript,
  shapeLease,
  startRace,
  submitSegment,
  type UnshapedLease,
  writeLease,
} from "../lease/index.ts";
import { z } from "../zod.ts";
import { defineOp, type OpEnv } from "./op.ts";

const LeaseUpInputSchema = deferred(() =>
  z.object({
    lease: z.string(),
    ask: AllocRequestSchema,
    /** How the lease renews and lets go: the request's fields that no strategy changes. */
    policy: z.pick(SlurmRequestSchema, {
      renewal: true,
      overlapSeconds: true,
      idleReleaseSeconds: true,
      watchdogPartition: true,
      parts: true,
    }),
    profile: z.nullable(SiteProfileSchema),
    /** `--parts auto`: race the lease whole against it in parts (planShapeRace); `policy.parts` is then absent. */
    raceShapes: z._default(z.boolean(), false),
    /** The deployed rv the segments run: the same build as the caller. */
    rv: z.string(),
    dryRun: z._default(z.boolean(), false),
  }),
);
type LeaseUpArgs = z.output<typeof LeaseUpInputSchema>;
export type LeaseUpPolicy = LeaseUpArgs["policy"];

/** One part's first segment of a lease of parts: its script, and its job (null for a dry run). */
const PartJobSchema = deferred(() =>
  z.object({
    segment: z.number(),
    script: z.string(),
    sbatchArgs: z.array(z.string()),
    jobId: z.nullable(z.string()),
  }),
);
export type PartJob = z.infer<typeof PartJobSchema>;

const LeaseUpResultSchema = deferred(() =>
  z.object({
    lease: SlurmLeaseSchema,
    decision: DecisionSchema,
    /** The race for segment 0 (in a race of shapes, every part's job); empty for a lease of parts, which does not race. */
    racers: z.array(RacerViewSchema),
    /** A lease of parts: each part's first segment; empty otherwise. */
    parts: z.array(PartJobSchema),
  }),
);
type LeaseUpResult = z.infer<typeof LeaseUpResultSchema>;

/**
 * Creates a Slurm lease on the cluster: reads the cluster and probes the strategies (one round trip each),
 * ranks them, and submits the best few at once (DESIGN.md section 6). The race is decided on the cluster: the
 * first job to start claims the lease and cancels the others (`rv lease claim`). A lease of parts does not race:
 * the allocator decides one part's shape, and every part's first segment is submitted in that shape: the best
 * strategy's, or the partitions of the kept ones in one multi-partition job per part (spreadStrategy; docs/cluster.md,
 * "Leases of parts"). A race of shapes (`raceShapes`: `--parts auto`) races the lease whole against it in parts,
 * every part a job of its shape's rank, and the first job to start decides the shape (planShapeRace; docs/cluster.md,
 * "Racing shapes"). A dry run stops before anything is written or submitted.
 */
export const leaseUpOp = defineOp({
  name: "lease-up",
  input: LeaseUpInputSchema,
  result: LeaseUpResultSchema,
  run: leaseUp,
});

async function leaseUp(env: OpEnv, args: LeaseUpArgs): Promise<LeaseUpResult> {
  const { root } = env;
  if (readLease(root, args.lease)) {
    throw new RvError("usage", `a lease named ${args.lease} exists already`, {
      hint: `pick another --name, or look at it: rv lease show ${args.lease}`,
    });
  }
  const unshaped = newLease(env, args);
  const parts = partsOf(unshaped);
  if (parts > 1) {
    const decision = await decideOnCluster(env, unshaped, partAsk(args.ask, parts), args.profile);
    const best = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))[0];
    if (!best) throw noStrategy(decision);
    const shape = spreadStrategy(decision) ?? best.strategy;
    const lease = shapeLease(unshaped, shape);
    return { lease, decision, racers: [], parts: await upInParts(env, lease, shape, args.dryRun) };
  }
  const { decision, racers } = await planRace(env, unshaped, args.ask, args.profile, 1, args.raceShapes);
  const first = racers[0];
  if (!first) throw noStrategy(decision);
  // Until a job claims it, the lease is recorded in its best-ranked strategy's shape, as one part: a lease of parts
  // is looked at part by part, with no race to run again should every job end unclaimed.
  const lease = shapeLease(unshaped, first.candidate.strategy);
  if (args.dryRun) return { lease, decision, racers, parts: [] };
  return { lease, decision, racers: await startFirstRace(env, lease, args, decision, racers), parts: [] };
}

/** Each part's first segment in the lease's shape (numbered by its part), submitted unless a dry run. */
async function upInParts(env: OpEnv, lease: SlurmLease, shape: Strategy, dryRun: boolean): Promise<PartJob[]> {
  const plans = partNumbers(partsOf(lease)).map((part) => planFirstSegment(lease, shape.wallSeconds, part));
  if (!dryRun) return submitParts(env, lease, plans);
  const nowEpoch = Math.floor(env.now().getTime() / 1000);
  return plans.map((plan) => partJob(env.root, lease, plan, nowEpoch, null));
}

function partJob(root: string, lease: SlurmLease, plan: SegmentPlan, nowEpoch: number, jobId: string | null): PartJob {
  const script = segmentScript(root, lease, plan);
  return { segment: plan.n, script, sbatchArgs: segmentSbatchArgs(plan, nowEpoch), jobId };
}

/**
 * Every part's first segment, each with its watchdog. All or none: when Slurm refuses one (the parts are all of one
 * shape, so the others would most likely follow), every job of the lease is cancelled and the lease is not left behind.
 */
async function submitParts(env: OpEnv, lease: SlurmLease, plans: readonly SegmentPlan[]): Promise<PartJob[]> {
  ensureRoot(env.root);
  writeLease(env.root, lease);
  const submitted: Segment[] = [];
  try {
    for (const plan of plans) {
      submitted.push(await submitSegment(env.remote, env.root, lease, plan, `rv lease up on ${env.host}`, env.now()));
    }
  } catch (error) {
    // The watchdogs first (a segment's cancellation would wake one); then every job of the lease by its name: one
    // sbatch accepted as its call failed is on no record, and a part that started may have renewed itself.
    await cancelWatchdogs(env.remote, lease.id, env.user, []);
    await cancelSegmentJobs(
      env.remote,
      lease.id,
      env.user,
      submitted.map((s) => s.jobId),
    );
    rmSync(leasePaths(env.root, lease.id).dir, { recursive: true, force: true });
    throw error;
  }
  const nowEpoch = Math.floor(env.now().getTime() / 1000);
  return plans.map((plan, i) => partJob(env.root, lease, plan, nowEpoch, submitted[i]?.jobId ?? null));
}

function newLease(env: OpEnv, args: LeaseUpArgs): UnshapedLease {
  const { ask, policy } = args;
  return {
    v: PROTOCOL_VERSION,
    id: args.lease,
    kind: "slurm",
    createdAt: env.now().toISOString(),
    host: env.host,
    state: "active",
    request: { ...policy, totalSeconds: ask.totalSeconds, account: ask.account },
    rv: args.rv,
  };
}

/** The first attempt of the race; nothing is left behind when Slurm refuses every strategy. */
async function startFirstRace(
  env: OpEnv,
  lease: SlurmLease,
  args: LeaseUpArgs,
  decision: Decision,
  racers: RacerView[],
): Promise<RacerView[]> {
  ensureRoot(env.root);
  writeLease(env.root, lease);
  const startedAt = env.now().toISOString();
  const race = {
    v: 1,
    lease: lease.id,
    attempt: 1,
    startedAt,
    request: args.ask,
    profile: args.profile,
    decision,
    shapes: args.raceShapes,
  } as const;
  const submitted = await startRace(env, lease, race, racers);
  if (submitted.every((r) => r.jobId === null)) {
    rmSync(leasePaths(env.root, lease.id).dir, { recursive: true, force: true });
    throw new RvError("cluster", `Slurm refused every strategy of lease ${lease.id}: ${refusals(submitted)}`, {
      hint: "rv lease up --dry-run shows the strategies and their scripts; rv resources shows the partitions",
    });
  }
  return submitted;
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
