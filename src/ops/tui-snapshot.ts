import { RaceRowSchema } from "../allocator/index.ts";
import { deferred } from "../deferred.ts";
import { PartNowSchema, RunnerViewSchema, TaskViewSchema } from "../lease/index.ts";
import { z } from "../zod.ts";

/** One lease as the TUI shows it: its runners, and for a Slurm lease where it stands and how long it has left. */
export const TuiLeaseSchema = deferred(() =>
  z.object({
    id: z.string(),
    kind: z.enum(["local", "slurm"]),
    state: z.enum(["active", "released"]),
    /** describePhase of a Slurm lease (`running (segment 2, job 815)`); null for a local lease. */
    phase: z.nullable(z.string()),
    /** Whether the phase is bad news (failed, paused) or a wait (racing, queued, retrying); null when neither. */
    phaseTone: z.nullable(z.enum(["bad", "wait"])),
    timeLeftSeconds: z.nullable(z.number()),
    /** The gap between the last two segments' jobs, as Slurm recorded them (negative: they overlapped). */
    renewalGapSeconds: z.nullable(z.number()),
    runners: z.array(RunnerViewSchema),
    gpus: z.object({ busy: z.number(), free: z.number() }),
    /** Pending tasks no runner of the lease will ever run (LeaseSummary.tooLarge). */
    tooLarge: z._default(z.array(z.string()), []),
    /** Each part of a lease of parts (`rv lease up --parts`): its current segment and job; null for a lease of one. */
    parts: z.nullable(z.array(PartNowSchema)),
    /** The allocation race of a Slurm lease that has no segment yet (the rows `rv lease up` draws); else null. */
    race: z.nullable(z.array(RaceRowSchema)),
  }),
);
export type TuiLease = z.infer<typeof TuiLeaseSchema>;

/** The tail of one task's log, read in the same round trip as the rest. */
export const TuiLogSchema = deferred(() =>
  z.object({
    taskId: z.string(),
    stream: z.enum(["stdout", "stderr"]),
    text: z.string(),
    /** The log's whole size: more than the text when only the tail was read. */
    bytes: z.number(),
  }),
);
export type TuiLog = z.infer<typeof TuiLogSchema>;

/** Everything one refresh of the TUI reads: from this machine, or from the login node in one round trip. */
export const TuiSnapshotSchema = deferred(() =>
  z.object({
    at: z.string(),
    leases: z.array(TuiLeaseSchema),
    tasks: z.array(TaskViewSchema),
    /** The logs asked for, in the order asked (a task no lease of this place holds has none). */
    logs: z.array(TuiLogSchema),
  }),
);
export type TuiSnapshot = z.infer<typeof TuiSnapshotSchema>;

/** The tail of one task's log, asked for with a refresh. */
export const TuiLogAskSchema = deferred(() =>
  z.object({
    taskId: z.string(),
    lease: z.string(),
    stream: z.enum(["stdout", "stderr"]),
    tailBytes: z.number(),
  }),
);
export type TuiLogAsk = z.infer<typeof TuiLogAskSchema>;

/**
 * What a refresh reads besides the leases and tasks: the logs on show (the TUI's selected task; every log the
 * pages of `rv ui` follow), so that one round trip brings all of them.
 */
export const TuiAskSchema = deferred(() =>
  z.object({
    lease: z.nullable(z.string()),
    logs: z._default(z.array(TuiLogAskSchema), []),
  }),
);
export type TuiAsk = z.infer<typeof TuiAskSchema>;
