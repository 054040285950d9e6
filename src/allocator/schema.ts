import { deferred } from "../deferred.ts";
import { ReservationNoteSchema } from "../fsqueue/index.ts";
import {
  ScontrolNodeSchema,
  ScontrolPartitionSchema,
  ScontrolReservationSchema,
  SqueueJobSchema,
  TestOnlySchema,
} from "../slurm/index.ts";
import { z } from "../zod.ts";
import { SiteProfileSchema } from "./profile/schema.ts";

/**
 * The allocator's records (DESIGN.md section 6): what a person asks, what rv reads of the cluster, the
 * strategies it builds from them, its estimate of each, the ranked decision, and the race on the cluster.
 */

/** What `rv lease up` asks the allocator for. Totals for the whole lease: a topology splits them per node. */
export const AllocRequestSchema = deferred(() =>
  z.object({
    /** GPUs in all (0: a CPU-only lease). */
    gpus: z.int().check(z.nonnegative()),
    /** Profile keys or GRES types the person accepts; empty: any that fits. */
    types: z.array(z.string()),
    minVramGb: z.nullable(z.number().check(z.positive())),
    /** CPUs in all; null: Slurm's default per node. */
    cpus: z.nullable(z.int().check(z.positive())),
    /** Memory in all, in MiB; null: Slurm's default per node. */
    memMiB: z.nullable(z.int().check(z.positive())),
    /** The lease's whole life, across segments. */
    totalSeconds: z.int().check(z.positive()),
    /** One segment's walltime; null: the profile's, else 2:59:00. */
    segmentSeconds: z.nullable(z.int().check(z.positive())),
    /** null: the allocator picks the topology. */
    nodes: z.nullable(z.int().check(z.positive())),
    /** null: any partition that has the GPUs. */
    partition: z.nullable(z.string()),
    account: z.nullable(z.string()),
    /**
     * A lease of parts: how many jobs of this shape are asked at once (the request is one part's); per-user limits
     * count them all. Absent: 1.
     */
    parts: z.optional(z.int().check(z.positive())),
  }),
);
export type AllocRequest = z.infer<typeof AllocRequestSchema>;

/**
 * The cluster as one batched read shows it: partitions, nodes (with GRES in use), every running and pending job
 * (all users: the backfill estimate needs the whole queue), the reservations (maintenance windows), and who rv
 * runs as (per-user limits).
 */
export const ClusterStateSchema = deferred(() =>
  z.object({
    /** Epoch seconds on the login node when it was read. */
    nowEpoch: z.int(),
    user: z.string(),
    partitions: z.array(ScontrolPartitionSchema),
    nodes: z.array(ScontrolNodeSchema),
    jobs: z.array(SqueueJobSchema),
    reservations: z.array(ScontrolReservationSchema),
  }),
);
export type ClusterState = z.infer<typeof ClusterStateSchema>;

/** One way to ask Slurm for the request: a partition, a GPU type, a topology and a walltime. */
export const StrategySchema = deferred(() =>
  z.object({
    /** Stable and readable: `a6000:1x4:2h59m`, `mig:1x1:2h59m`, `a100_80:2x2:2h59m-min30m`. */
    id: z.string(),
    partition: z.string(),
    /** The GRES type for `--gres=gpu:<type>:N`; null: any type the partition has (or a CPU-only lease). */
    gpuType: z.nullable(z.string()),
    /** The profile key this strategy comes from; null when discovery alone found the pool. */
    profileKey: z.nullable(z.string()),
    kind: z.enum(["gpu", "mig", "interactive", "cpu"]),
    nodes: z.int().check(z.positive()),
    gpusPerNode: z.int().check(z.nonnegative()),
    cpusPerNode: z.nullable(z.int().check(z.positive())),
    memPerNode: z.nullable(z.string()),
    wallSeconds: z.int().check(z.positive()),
    /** `--time-min`: Slurm may shorten the job to this to fit a backfill hole. */
    timeMinSeconds: z.nullable(z.int().check(z.positive())),
    vramGb: z.nullable(z.number().check(z.positive())),
    suPerGpuHour: z.nullable(z.number().check(z.nonnegative())),
    /**
     * The reservation on its nodes that this walltime was shortened for, to end before it starts, with the
     * walltime the shape asks when nothing is in the way (the lease's later segments); absent: none.
     */
    endsBefore: z.optional(z.extend(ReservationNoteSchema, { segmentSeconds: z.int().check(z.positive()) })),
  }),
);
export type Strategy = z.infer<typeof StrategySchema>;

/** When a strategy would start, and why rv thinks so. */
export const EstimateSchema = deferred(() =>
  z.object({
    startEpoch: z.int(),
    /** The walltime it would get: less than wallSeconds when only a hole of at least timeMinSeconds fits. */
    grantedSeconds: z.int().check(z.positive()),
    /**
     * `idle`: the GPUs are free now and no pending job holds them. `hole`: a backfill hole from the running jobs'
     * ends and the pending jobs' plans. `queue`: behind the pending jobs. `test-only`: Slurm's probe said later
     * than rv's own estimate.
     */
    basis: z.enum(["idle", "hole", "queue", "test-only"]),
    /** For a person: "4 free on a6000-02", "hole of 1h12m on a100-01 until job 812 starts". */
    detail: z.string(),
  }),
);
export type Estimate = z.infer<typeof EstimateSchema>;

/** A strategy with its fate: ranked and submitted, or dropped with the reason. */
export const CandidateSchema = deferred(() =>
  z.object({
    strategy: StrategySchema,
    estimate: z.nullable(EstimateSchema),
    /** Slurm's `--test-only` answer, when probed. */
    probe: z.nullable(TestOnlySchema),
    /** 1 is best; null for a dropped one. */
    rank: z.nullable(z.int().check(z.positive())),
    kept: z.boolean(),
    why: z.string(),
  }),
);
export type Candidate = z.infer<typeof CandidateSchema>;

/** Requests the allocator could not turn into any strategy say why (every pool and the limit that ruled it out). */
export const DecisionSchema = deferred(() =>
  z.object({
    at: z.int(),
    candidates: z.array(CandidateSchema),
  }),
);
export type Decision = z.infer<typeof DecisionSchema>;

/**
 * One attempt of a race (`alloc/<attempt>/race.json`): the decision and the jobs submitted for it. Written by
 * `rv lease up` before the first sbatch (entries without job ids) and replaced whole as each job id comes back,
 * so a laptop closed mid-race leaves a record of every job that may exist.
 */
export const RaceEntrySchema = deferred(() =>
  z.object({
    rank: z.int().check(z.positive()),
    strategy: StrategySchema,
    estimate: z.nullable(EstimateSchema),
    /** null until sbatch answers, and for ever when it refused. */
    jobId: z.nullable(z.string()),
    /** Slurm's reason when sbatch refused this strategy. */
    refused: z.nullable(z.string()),
    /**
     * A race of shapes (`rv lease up --parts auto`): this job is part `part` of a lease of `parts`, and `strategy` is
     * one part's. Every job of a shape has its rank: the first of them to start claims the lease for the shape, and
     * the others are its parts. 1 and 0 for a job that would hold the lease whole.
     */
    parts: z._default(z.int().check(z.positive()), 1),
    part: z._default(z.int().check(z.nonnegative()), 0),
  }),
);
export type RaceEntry = z.infer<typeof RaceEntrySchema>;

export const RaceSchema = deferred(() =>
  z.object({
    v: z.literal(1),
    lease: z.string(),
    attempt: z.int().check(z.positive()),
    startedAt: z.string(),
    request: AllocRequestSchema,
    /** The site profile the decision used: a later attempt decides again with it, on the cluster. */
    profile: z._default(z.nullable(SiteProfileSchema), null),
    decision: DecisionSchema,
    /** A race of shapes (`rv lease up --parts auto`): a later attempt races the shapes again. */
    shapes: z._default(z.boolean(), false),
    entries: z.array(RaceEntrySchema),
  }),
);
export type Race = z.infer<typeof RaceSchema>;

/** The winner of a race (`alloc/winner.json`), created once by link(2): whoever links it first owns the lease. */
export const ClaimSchema = deferred(() =>
  z.object({
    v: z.literal(1),
    lease: z.string(),
    attempt: z.int().check(z.positive()),
    rank: z.int().check(z.positive()),
    strategyId: z.string(),
    jobId: z.string(),
    /** In a race of shapes, the part of its shape the winning job is (RaceEntry.part). */
    part: z._default(z.int().check(z.nonnegative()), 0),
    node: z.nullable(z.string()),
    claimedAt: z.string(),
  }),
);
export type Claim = z.infer<typeof ClaimSchema>;

/** One line of the race as a person watches it (`rv lease up`'s live view, `rv lease show --alloc`). */
export const RaceRowSchema = deferred(() =>
  z.object({
    rank: z.int().check(z.positive()),
    strategyId: z.string(),
    /** In a race of shapes, how many parts the job's shape has and which of them it is (RaceEntry); absent: 1 and 0. */
    parts: z.optional(z.int().check(z.positive())),
    part: z.optional(z.int().check(z.nonnegative())),
    jobId: z.nullable(z.string()),
    state: z.enum(["submitting", "refused", "pending", "starting", "won", "lost", "cancelled", "ended"]),
    /** Epoch seconds: Slurm's planned start when it has one, else rv's estimate. */
    startEpoch: z.nullable(z.int()),
    /** Slurm's reason while pending, sbatch's refusal, or how it lost. */
    reason: z.nullable(z.string()),
  }),
);
export type RaceRow = z.infer<typeof RaceRowSchema>;
