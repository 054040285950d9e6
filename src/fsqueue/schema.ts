import { deferred } from "../deferred.ts";
import { optionalBuiltOnUse, z } from "../zod.ts";

/**
 * Each record's schema is built on first use (deferred): every command loads this file, and builds only the
 * records it reads (a zod instance built is 10-30 µs of a command's start and the memory behind it).
 */

/** Every record on disk carries `v`; readers reject versions they do not know (invariant 8). */
export const PROTOCOL_VERSION = 1;
const v = z.literal(PROTOCOL_VERSION);

const isoTime = z.iso.datetime({ offset: true });

export const CommandSchema = deferred(() =>
  z.discriminatedUnion("kind", [
    z.object({ kind: z.literal("argv"), argv: z.array(z.string()).check(z.minLength(1)) }),
    z.object({ kind: z.literal("shell"), script: z.string().check(z.minLength(1)) }),
  ]),
);
export type Command = z.infer<typeof CommandSchema>;

/** Signals a task may ask for to save its state (`rv submit --checkpoint[=SIGNAL]`). */
export const CheckpointSignalSchema = z.enum(["SIGUSR1", "SIGUSR2", "SIGTERM", "SIGINT"]);
export type CheckpointSignal = z.infer<typeof CheckpointSignalSchema>;

export const SweepPointSchema = deferred(() =>
  z.object({
    id: z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/)),
    point: z.record(z.string(), z.string()),
    /** How many points the sweep has, as submitted: a runner knows the sweep is over without counting its inbox. */
    points: z.optional(z.int().check(z.positive())),
  }),
);
export type SweepPoint = z.infer<typeof SweepPointSchema>;

/** What code a task ran (`rv submit --sync`): the commit it was pushed at, uncommitted changes, and where it went. */
export const CodeSchema = deferred(() =>
  z.object({
    commit: z.nullable(z.string()),
    dirty: z.boolean(),
    /** The workspace on the cluster it was pushed to; null for a lease on the machine it was submitted from. */
    workspace: z.nullable(z.string()),
  }),
);
export type Code = z.infer<typeof CodeSchema>;

export const MaxRunningSchema = deferred(() =>
  z.object({ group: z.string().check(z.minLength(1)), max: z.int().check(z.positive()) }),
);
export type MaxRunning = z.infer<typeof MaxRunningSchema>;

export const RetryPolicySchema = deferred(() =>
  z.object({
    max: z.int().check(z.positive()),
    /** Before the first retry; doubled for each one after it. */
    delayMs: z.int().check(z.nonnegative()),
    /** What is retried: exit codes, signal names (`SIGKILL`) and `timeout`; empty: every failure. */
    on: z.array(z.union([z.int(), z.string()])),
  }),
);
export type RetryPolicy = z.infer<typeof RetryPolicySchema>;

/**
 * Loose: fields a newer rv adds within protocol v1 pass through a reader of an older build unchanged, so a runner
 * of that build (a long lease keeps its binary) rewrites done/ and requeued records without dropping them.
 */
export const TaskSchema = deferred(() =>
  z.looseObject({
    v,
    id: z.string().check(z.regex(/^[0-9a-z]+$/)),
    lease: z.string().check(z.minLength(1)),
    name: z.optional(z.string()),
    command: CommandSchema,
    cwd: z.string().check(z.minLength(1)),
    env: z.record(z.string(), z.string()),
    gpus: z.int().check(z.gte(0)),
    cpus: z.int().check(z.gte(1)),
    strictOrder: z.boolean(),
    /** 1 for the first run; +1 every time the task goes back to the inbox. */
    attempt: z.int().check(z.gte(1)),
    /** Attempts that ended because a runner died; counted against `maxCrashes`. */
    crashes: z.int().check(z.gte(0)),
    maxCrashes: z.int().check(z.gte(1)),
    submittedAt: isoTime,
    submitHost: z.string(),
    tags: z.array(z.string()),
    note: z.optional(z.string()),
    /** Sent to the task's process group at a segment end: it may save its state and exit before it is stopped. */
    checkpointSignal: z.optional(CheckpointSignalSchema),
    /** How long the task needs: a runner does not start it when its segment ends sooner. */
    timeRequestMs: z.optional(z.int().check(z.positive())),
    /** Why the previous attempt went back to the inbox (e.g. "segment end"); for people, not for decisions. */
    requeueReason: z.optional(z.string()),
    /** rv interrupted the previous attempt at a segment end: this attempt runs with RV_RESUME=1. */
    resume: z.optional(z.literal(true)),
    /** The sweep this task is a point of (`rv sweep`): its id, and the point's parameters by name. */
    sweep: optionalBuiltOnUse(SweepPointSchema),
    /** At most `max` tasks of `group` (a sweep's id, a tag) run at once in the lease (`--max-running`). */
    maxRunning: optionalBuiltOnUse(MaxRunningSchema),
    /** A failed attempt runs again, up to `max` times (`--retry`). */
    retry: optionalBuiltOnUse(RetryPolicySchema),
    /** Attempts that went back to the inbox to be retried; counted against `retry.max`. */
    retried: z.optional(z.int().check(z.gte(0))),
    /** Not started before this time: a retry waits out its backoff in the inbox. */
    notBefore: z.optional(isoTime),
    /** An attempt running longer than this is stopped and fails with reason `timeout` (`--timeout`). */
    timeoutMs: z.optional(z.int().check(z.positive())),
    /** Ids of tasks of the same lease that must succeed before this one starts (`--after`). */
    after: z.optional(z.array(z.string().check(z.regex(/^[0-9a-z]+$/))).check(z.minLength(1))),
    /** The task this one was made from (`rv rerun`). */
    rerunOf: z.optional(z.string()),
    /** The code it runs, when it was submitted with `--sync`. */
    code: optionalBuiltOnUse(CodeSchema),
    /** Globs, relative to its cwd, of what it writes for `rv pull` to bring back (`--outputs`). */
    outputs: z.optional(z.array(z.string().check(z.minLength(1))).check(z.minLength(1))),
  }),
);
export type Task = z.infer<typeof TaskSchema>;

/**
 * What one attempt used, as its runner last sampled its process group (src/runner/usage.ts): CPU time of the
 * group, the peak of its summed resident memory, and the peak GPU memory of its processes when nvidia-smi was
 * there to ask (absent otherwise, never 0 for "unknown"). Sampled every second or so: a figure is a lower bound.
 */
export const UsageSchema = deferred(() =>
  z.object({
    cpuSeconds: z.number().check(z.nonnegative()),
    peakRssBytes: z.int().check(z.nonnegative()),
    gpuPeakBytes: z.optional(z.int().check(z.nonnegative())),
    samples: z.int().check(z.gte(1)),
  }),
);
export type Usage = z.infer<typeof UsageSchema>;

/** `notes/<task-id>.json`: a task's note as last edited; it wins over the note the task was submitted with. */
export const NoteSchema = deferred(() =>
  z.object({ v, task: z.string(), note: z.string(), at: isoTime, host: z.string() }),
);
export type Note = z.infer<typeof NoteSchema>;

export const TerminalStateSchema = z.enum(["succeeded", "failed", "cancelled"]);
export type TerminalState = z.infer<typeof TerminalStateSchema>;

export const DoneSchema = deferred(() =>
  z.object({
    v,
    task: TaskSchema,
    state: TerminalStateSchema,
    exitCode: z.nullable(z.int()),
    signal: z.nullable(z.string()),
    reason: z.optional(z.string()),
    /** It never started: this dependency (`after`) failed or was cancelled. Its state is then `failed`. */
    depFailed: z.optional(z.string()),
    startedAt: z.nullable(isoTime),
    endedAt: isoTime,
    runner: z.nullable(z.string()),
    host: z.string(),
    gpus: z.array(z.string()),
    /** What the attempt used, when its runner could sample it (Linux); absent for one that never started. */
    usage: optionalBuiltOnUse(UsageSchema),
  }),
);
export type Done = z.infer<typeof DoneSchema>;

export const RunningEntrySchema = deferred(() =>
  z.object({
    task: z.string(),
    key: z.string(),
    attempt: z.int(),
    pid: z.int(),
    gpus: z.array(z.string()),
    cpus: z.int(),
    startedAt: isoTime,
    /** What the attempt has used so far, as last sampled. */
    usage: optionalBuiltOnUse(UsageSchema),
  }),
);
export type RunningEntry = z.infer<typeof RunningEntrySchema>;

export const HeartbeatSchema = deferred(() =>
  z.object({
    v,
    runner: z.string(),
    lease: z.string(),
    host: z.string(),
    /** Inside a Slurm job: the node's Slurm name (SLURMD_NODENAME), which need not be its host name. */
    node: z.optional(z.string()),
    pid: z.int(),
    segment: z.string(),
    /** Grows on every beat: observers judge liveness by seeing it change, on their own clock. */
    counter: z.int().check(z.gte(0)),
    time: isoTime,
    startedAt: isoTime,
    state: z.enum(["running", "draining", "exited"]),
    running: z.array(RunningEntrySchema),
    gpus: z.array(z.string()),
    freeGpus: z.array(z.string()),
    cpus: z.int(),
    freeCpus: z.int(),
    /**
     * Pending tasks this runner can never run: each asks for more GPUs or CPUs than it has (a task larger than a part
     * of a lease of parts, queued while its race of shapes was on). Absent when none.
     */
    tooLarge: z.optional(z.array(z.string())),
  }),
);
export type Heartbeat = z.infer<typeof HeartbeatSchema>;

export const EventSchema = deferred(() =>
  z.object({
    v,
    time: isoTime,
    runner: z.string(),
    type: z.enum([
      "runner-started",
      "claimed",
      "started",
      "finished",
      "requeued",
      "recovered",
      "quarantined",
      "cancel-requested",
      "draining",
      "runner-exited",
    ]),
    task: z.optional(z.string()),
    attempt: z.optional(z.int()),
    pid: z.optional(z.int()),
    /** Start time of `pid` in clock ticks since boot (/proc/PID/stat field 22): tells a reused pid apart. */
    procStart: z.optional(z.int()),
    detail: z.optional(z.string()),
    /** On `finished` and `requeued`: what the attempt used, so every attempt's figures outlive its requeue. */
    usage: optionalBuiltOnUse(UsageSchema),
  }),
);
export type RvEvent = z.infer<typeof EventSchema>;

export const LeaseIdSchema = z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/));

const leaseBase = {
  v,
  id: LeaseIdSchema,
  createdAt: isoTime,
  /** Where the lease was created: this machine for a local lease, the login node for a Slurm lease. */
  host: z.string(),
  state: z.enum(["active", "released"]),
};

const LocalLeaseSchema = deferred(() =>
  z.object({
    ...leaseBase,
    kind: z.literal("local"),
    gpuIds: z.optional(z.array(z.string())),
    cpus: z.optional(z.int().check(z.gte(1))),
  }),
);

/** What a Slurm lease holds, per segment job: the explicit form of `rv lease up --partition ...`. */
export const SlurmRequestSchema = deferred(() =>
  z.object({
    /**
     * One partition, or several separated by commas (Slurm's multi-partition form, `gpu-a6000,gpu-a100-80`): a
     * lease of parts spread over the partitions of its kept strategies (allocator/spread.ts), whose every segment's
     * job starts in whichever of them can start it first.
     */
    partition: z.string(),
    gpusPerNode: z.int().check(z.gte(0)),
    /** null: any GPU type the partition has (spread over partitions: each partition's GPUs are of one type). */
    gpuType: z.nullable(z.string()),
    nodes: z.int().check(z.gte(1)),
    cpusPerNode: z.nullable(z.int().check(z.gte(1))),
    /** As sbatch --mem takes it (`32G`); null for the partition's default. */
    memPerNode: z.nullable(z.string()),
    /** The lease's whole life, across segments. */
    totalSeconds: z.int().check(z.positive()),
    /** One segment's walltime: short enough for backfill. */
    segmentSeconds: z.int().check(z.positive()),
    account: z.nullable(z.string()),
    /**
     * How a segment is followed, decided when it starts. `chain`: the next segment is submitted to run after it
     * (afterany). `overlap`: the next one is submitted to begin `overlapSeconds` before it ends; its runners take
     * the inbox over when they start, and the old ones finish what they run and exit.
     */
    renewal: z.enum(["chain", "overlap"]),
    /** overlap: how far ahead of a segment's end the next may start; absent: a quarter segment, 1 to 10 minutes. */
    overlapSeconds: z.optional(z.int().check(z.positive())),
    /**
     * The lease gives its GPUs back once nothing has waited or run for this long (`--idle-release`); null or
     * absent (records written before it existed): never.
     */
    idleReleaseSeconds: z.optional(z.nullable(z.int().check(z.positive()))),
    /**
     * Where the lease's watchdog jobs run (lease/watchdog.ts): a partition where one CPU starts fast; null or
     * absent: Slurm's default partition.
     */
    watchdogPartition: z.optional(
      z.nullable(z.string().check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "a partition name"))),
    ),
    /**
     * How many independent Slurm jobs hold the lease at once (`--parts`), each of the shape above, with its own
     * segments (segment n is part n % parts); absent: 1.
     */
    parts: z.optional(z.int().check(z.gte(1))),
  }),
);
export type SlurmRequest = z.infer<typeof SlurmRequestSchema>;

export const SlurmLeaseSchema = deferred(() =>
  z.object({
    ...leaseBase,
    kind: z.literal("slurm"),
    /** Lazy: reading a local lease's record (every local submit) does not build the request's ~40 schemas. */
    request: z.lazy(() => SlurmRequestSchema),
    /** The deployed rv every segment runs (`<root>/bin/rv-<version>-<build>`). */
    rv: z.string(),
  }),
);

export const LeaseSchema = deferred(() => z.discriminatedUnion("kind", [LocalLeaseSchema, SlurmLeaseSchema]));
export type Lease = z.infer<typeof LeaseSchema>;
export type LocalLease = z.infer<typeof LocalLeaseSchema>;
export type SlurmLease = z.infer<typeof SlurmLeaseSchema>;

/**
 * A Slurm reservation on the nodes a segment needs (a maintenance window), as the segment's plan saw it: a job
 * whose walltime would reach into it waits until it is over, so the segment was shaped around it.
 */
export const ReservationNoteSchema = deferred(() =>
  z.object({
    name: z.string(),
    startEpoch: z.int(),
    /** null: it has no end. */
    endEpoch: z.nullable(z.int()),
    nodes: z.array(z.string()),
    /** Flags=MAINT: Slurm's pending reason is then `ReqNodeNotAvail, Reserved for maintenance`. */
    maint: z.boolean(),
  }),
);
export type ReservationNote = z.infer<typeof ReservationNoteSchema>;

/**
 * One Slurm job that holds (or held) a lease: `segments/<n>.json`, written when the job is submitted and
 * replaced whole when its end is known. Start, end and nodes are read back from Slurm, never assumed.
 */
export const SegmentSchema = deferred(() =>
  z.object({
    v,
    lease: LeaseIdSchema,
    n: z.int().check(z.gte(0)),
    jobId: z.string(),
    submittedAt: isoTime,
    /** Who submitted it: `rv lease up` (the login node) or the previous segment (a compute node). */
    submittedBy: z.string(),
    /** The job this one waits for (afterany), when chained. */
    after: z.nullable(z.string()),
    wallSeconds: z.int().check(z.positive()),
    /**
     * How long it was planned to run beside the segment before it (overlap renewal), so the lease's time is not
     * counted twice; absent or 0 for chained, first and replacement segments.
     */
    overlapSeconds: z.optional(z.int().check(z.nonnegative())),
    /**
     * Not before this time (overlap's `--begin`, or the end of a reservation); absent: as soon as submitted, or as
     * its dependency allows. How long it then waited in the queue is what the next overlap is fitted to.
     */
    beginAt: z.optional(isoTime),
    /** The reservation its walltime was shortened for, to end before it starts; absent: none was in the way. */
    endsBefore: optionalBuiltOnUse(ReservationNoteSchema),
    /** The reservations it was held back for (`--begin` at their end): no useful segment fitted before them. */
    beginsAfter: z.optional(z.array(ReservationNoteSchema)),
    /**
     * The job that wakes the lease's supervisor if this segment ends badly (afternotok), or why Slurm refused
     * it; absent for segments submitted before watchdogs existed, and while it is being submitted.
     */
    watchdog: z.optional(z.union([z.object({ jobId: z.string() }), z.object({ refused: z.string() })])),
    /** Filled once the job has ended, from Slurm's own record. */
    ended: z.optional(
      z.object({
        state: z.string(),
        start: z.nullable(isoTime),
        end: z.nullable(isoTime),
        nodes: z.array(z.string()),
      }),
    ),
  }),
);
export type Segment = z.infer<typeof SegmentSchema>;

/** `end` targets one segment's runners (`control/segment-<n>.end`): the segment's job is about to end. */
export const ControlVerbSchema = z.enum(["cancel", "requeue", "drain", "stop", "end"]);
export type ControlVerb = z.infer<typeof ControlVerbSchema>;

export const ControlSchema = deferred(() =>
  z.object({
    v,
    verb: ControlVerbSchema,
    target: z.string(),
    requestedAt: isoTime,
    requestedBy: z.string(),
    /**
     * A `requeue` the task asked for itself (its `scontrol requeue` of the segment's job, runner/scontrol-shim.ts):
     * the attempt that asked. Its next attempt resumes (RV_RESUME=1); for any other attempt the request is stale.
     */
    byAttempt: z.optional(z.int().check(z.positive())),
  }),
);
export type Control = z.infer<typeof ControlSchema>;

/**
 * What one observer host has seen of other hosts' runners: for each, the heartbeat counter and when, on the
 * observer's own clock, it first saw that counter. Lets one-shot observers (a CLI, `rv rpc` on a login node)
 * judge liveness across calls (invariant 5). Written by that host only, replaced whole.
 */
export const ObservationsSchema = deferred(() =>
  z.object({
    v,
    observer: z.string(),
    runners: z.record(z.string(), z.object({ counter: z.int(), seenAtMs: z.number() })),
  }),
);
export type Observations = z.infer<typeof ObservationsSchema>;

/**
 * When one observer host first saw a lock's current token, on its own clock (lock-staleness.ts): lets a one-shot
 * taker of a lease's turn (a supervisor) judge the turn stale across calls. Written by that host only, replaced whole.
 */
export const LockSightingSchema = deferred(() =>
  z.object({
    v,
    observer: z.string(),
    token: z.string(),
    seenAtMs: z.number(),
    /** When this observer first found another taker breaking that token (lock.ts, breakStale). */
    witnessSeenAtMs: z.optional(z.number()),
  }),
);
