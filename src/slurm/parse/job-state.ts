import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * Job states in the long form (squeue %T, sacct State, scontrol JobState, --json job_state) and the short
 * codes (squeue %t: PD, R, CG, ...). sacct's `CANCELLED by 1001` and a truncated `CANCELLED+` are read too.
 * A state rv does not know is `{ kind: "other", raw }`.
 */
const states = {
  pending: "PD",
  running: "R",
  suspended: "S",
  completing: "CG",
  completed: "CD",
  configuring: "CF",
  cancelled: "CA",
  failed: "F",
  timeout: "TO",
  preempted: "PR",
  node_fail: "NF",
  boot_fail: "BF",
  deadline: "DL",
  out_of_memory: "OOM",
  requeued: "RQ",
  requeue_hold: "RH",
  requeue_fed: "RF",
  resizing: "RS",
  revoked: "RV",
  signaling: "SI",
  special_exit: "SE",
  stage_out: "SO",
  stopped: "ST",
  resv_del_hold: "RD",
} as const;
type KnownJobState = keyof typeof states;

export const JobStateKindSchema = z.enum([...(Object.keys(states) as KnownJobState[]), "other"]);
export type JobStateKind = z.infer<typeof JobStateKindSchema>;

export const JobStateSchema = deferred(() => z.object({ kind: JobStateKindSchema, raw: z.string() }));
export type JobState = z.infer<typeof JobStateSchema>;

const byName = new Map<string, KnownJobState>();
for (const [kind, code] of Object.entries(states) as [KnownJobState, string][]) {
  byName.set(kind.toUpperCase(), kind);
  byName.set(code, kind);
}

export function parseJobState(text: string): JobState {
  const raw = text.trim();
  const word = raw.split(/\s+/)[0]?.replace(/\+$/, "").toUpperCase() ?? "";
  return { kind: byName.get(word) ?? "other", raw };
}

/** The uid in sacct's `CANCELLED by 1001`, or null. */
export function cancelledBy(text: string): string | null {
  return /^CANCELLED by (\S+)/.exec(text.trim())?.[1] ?? null;
}

const terminal: ReadonlySet<JobStateKind> = new Set([
  "completed",
  "cancelled",
  "failed",
  "timeout",
  "preempted",
  "node_fail",
  "boot_fail",
  "deadline",
  "out_of_memory",
  "revoked",
  "special_exit",
]);

/** The job will not run again by itself (a requeued job is not finished; an unknown state is not either). */
export function isFinished(kind: JobStateKind): boolean {
  return terminal.has(kind);
}

/** Started and not finished: the job holds its nodes (running, configuring, completing, suspended, ...). */
export function holdsAllocation(kind: JobStateKind): boolean {
  return kind !== "pending" && !isFinished(kind);
}

/**
 * Job ids as printed: `123`, array tasks `123_4` and pending array ranges `123_[5-9]` (`123_[5-9%2]`),
 * het components `123+0`, steps `123.batch`. Ids stay strings; `base` is the leading number.
 */
export const JobIdSchema = deferred(() =>
  z.object({
    jobId: z.string(),
    baseJobId: z.string(),
    arrayTask: z.nullable(z.string()),
  }),
);
export type JobId = z.infer<typeof JobIdSchema>;

export function parseJobId(text: string): JobId | null {
  const jobId = text.trim();
  const m = /^(\d+)(?:_(\d+|\[[^\]]*\]))?(?:\+\d+)?(?:\.[\w-]+)?$/.exec(jobId);
  if (!m?.[1]) return null;
  return { jobId, baseJobId: m[1], arrayTask: m[2] ?? null };
}
