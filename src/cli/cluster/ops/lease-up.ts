import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { AllocRequestSchema, type Decision, shapeLease, type UnshapedLease } from "../../../alloc/index.ts";
import { SiteProfileSchema } from "../../../alloc/profile/schema.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths, PROTOCOL_VERSION, type SlurmLease, SlurmRequestSchema } from "../../../fsqueue/index.ts";
import { ensureRoot, readLease, writeLease } from "../../../lease/index.ts";
import type { ClusterSide } from "../side.ts";
import { decideOnCluster, type RacerView, racersOf, refusals, startRace } from "./race.ts";

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

export interface LeaseUpResult {
  lease: SlurmLease;
  decision: Decision;
  racers: RacerView[];
}

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
  const unshaped = newLease(side, args);
  const decision = await decideOnCluster(side, unshaped, args.ask, args.profile);
  const best = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0))[0];
  if (!best) throw noStrategy(decision);
  const lease = shapeLease(unshaped, best.strategy);
  const racers = racersOf(root, unshaped, decision, 1);
  if (args.dryRun) return { lease, decision, racers };
  return { lease, decision, racers: await startFirstRace(side, lease, args, decision, racers) };
}

function newLease(side: ClusterSide, args: LeaseUpArgs): UnshapedLease {
  const { ask, policy } = args;
  return {
    v: PROTOCOL_VERSION,
    id: args.lease,
    kind: "slurm",
    createdAt: side.ctx.now().toISOString(),
    host: hostname(),
    state: "active",
    request: { ...policy, totalSeconds: ask.totalSeconds, account: ask.account },
    rv: args.rv,
  };
}

/** The first attempt of the race; nothing is left behind when Slurm refuses every strategy. */
async function startFirstRace(
  side: ClusterSide,
  lease: SlurmLease,
  args: LeaseUpArgs,
  decision: Decision,
  racers: RacerView[],
): Promise<RacerView[]> {
  ensureRoot(side.ctx.root);
  writeLease(side.ctx.root, lease);
  const startedAt = side.ctx.now().toISOString();
  const race = {
    v: 1,
    lease: lease.id,
    attempt: 1,
    startedAt,
    request: args.ask,
    profile: args.profile,
    decision,
  } as const;
  const submitted = await startRace(side, race, racers);
  if (submitted.every((r) => r.jobId === null)) {
    rmSync(leasePaths(side.ctx.root, lease.id).dir, { recursive: true, force: true });
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
