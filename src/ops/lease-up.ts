import { rmSync } from "node:fs";
import { z } from "zod";
import { AllocRequestSchema, type Decision, DecisionSchema } from "../allocator/index.ts";
import { SiteProfileSchema } from "../allocator/profile/schema.ts";
import { RvError } from "../errors.ts";
import {
  leasePaths,
  PROTOCOL_VERSION,
  type SlurmLease,
  SlurmLeaseSchema,
  SlurmRequestSchema,
} from "../fsqueue/index.ts";
import {
  decideOnCluster,
  ensureRoot,
  type RacerView,
  RacerViewSchema,
  racersOf,
  readLease,
  refusals,
  shapeLease,
  startRace,
  type UnshapedLease,
  writeLease,
} from "../lease/index.ts";
import { defineOp, type OpEnv } from "./op.ts";

const LeaseUpInputSchema = z.object({
  lease: z.string(),
  ask: AllocRequestSchema,
  /** How the lease renews and lets go: the request's fields that no strategy changes. */
  policy: SlurmRequestSchema.pick({
    renewal: true,
    overlapSeconds: true,
    idleReleaseSeconds: true,
    watchdogPartition: true,
  }),
  profile: SiteProfileSchema.nullable(),
  /** The deployed rv the segments run: the same build as the caller. */
  rv: z.string(),
  dryRun: z.boolean().default(false),
});
type LeaseUpArgs = z.output<typeof LeaseUpInputSchema>;
export type LeaseUpPolicy = LeaseUpArgs["policy"];

const LeaseUpResultSchema = z.object({
  lease: SlurmLeaseSchema,
  decision: DecisionSchema,
  racers: z.array(RacerViewSchema),
});
type LeaseUpResult = z.infer<typeof LeaseUpResultSchema>;

/**
 * Creates a Slurm lease on the cluster: reads the cluster and probes the strategies (one round trip each),
 * ranks them, and submits the best few at once (DESIGN.md section 6). The race is decided on the cluster: the
 * first job to start claims the lease and cancels the others (`rv lease claim`). A dry run stops before
 * anything is written or submitted.
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
  const decision = await decideOnCluster(env, unshaped, args.ask, args.profile);
  const best = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))[0];
  if (!best) throw noStrategy(decision);
  const lease = shapeLease(unshaped, best.strategy);
  const racers = racersOf(root, unshaped, decision, 1);
  if (args.dryRun) return { lease, decision, racers };
  return { lease, decision, racers: await startFirstRace(env, lease, args, decision, racers) };
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
