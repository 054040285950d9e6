import { deferred } from "../deferred.ts";
import { PROTOCOL_VERSION } from "../fsqueue/index.ts";
import { z } from "../zod.ts";
import { NOTIFY_EVENTS, type NotifyEventType } from "./settings.ts";

/**
 * What a notification says: the same fields in the `json` webhook format, on a command's stdin and (flattened) in
 * its RV_EVENT_* variables. Flat, so that a shell line can use any field. Never a secret: no URL, no environment.
 */
export const NotifyEventSchema = deferred(() =>
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.enum([...NOTIFY_EVENTS, "test"]),
    /** Its once-only key in the lease (`notified/<key>.json`). */
    key: z.string(),
    time: z.iso.datetime({ offset: true }),
    lease: z.string(),
    /** The host that sent it: a runner's node, a supervisor's, or the login node. */
    host: z.string(),
    title: z.string(),
    /** One line for people, complete on its own. */
    text: z.string(),
    task: z.optional(z.string()),
    name: z.optional(z.string()),
    attempt: z.optional(z.int()),
    exitCode: z.optional(z.nullable(z.int())),
    signal: z.optional(z.nullable(z.string())),
    reason: z.optional(z.string()),
    sweep: z.optional(z.string()),
    points: z.optional(z.int()),
    succeeded: z.optional(z.int()),
    failed: z.optional(z.int()),
    cancelled: z.optional(z.int()),
    /** lease-ended and lease-idle: how the lease ended. */
    ended: z.optional(z.enum(["released", "expired", "failed", "idle"])),
    why: z.optional(z.string()),
  }),
);
export type NotifyEvent = z.infer<typeof NotifyEventSchema>;

export interface SweepCounts {
  points: number;
  succeeded: number;
  failed: number;
  cancelled: number;
  /** Tells one end of the sweep from the next (after a resubmission or a requeue): see sweep.ts. */
  round: string;
}

/** Something a runner or a supervisor noticed; whether and how it is sent depends on the settings. */
export type Occurrence =
  | {
      kind: "task-failed";
      lease: string;
      task: string;
      name?: string;
      attempt: number;
      exitCode: number | null;
      signal: string | null;
      reason?: string;
    }
  | { kind: "sweep-done"; lease: string; sweep: string; counts: SweepCounts }
  | { kind: "lease-started"; lease: string }
  | { kind: "lease-ended"; lease: string; ended: "released" | "expired" | "failed"; why?: string }
  | { kind: "lease-idle"; lease: string; why: string };

/**
 * Each event once: a task's failure per attempt (a requeued task that fails again is news), a sweep's end per
 * round, a lease's start and its end once per life (an idle release is its end: one message, not two).
 */
export function occurrenceKey(o: Occurrence): string {
  switch (o.kind) {
    case "task-failed":
      return `task-failed.${o.task}.${o.attempt}`;
    case "sweep-done":
      return `sweep-done.${o.sweep}.${o.counts.round}`;
    case "lease-started":
      return "lease-started";
    case "lease-ended":
    case "lease-idle":
      return "lease-ended";
  }
}

/** The lease keys a lease forgets when it starts a new life (a local lease started again, a Slurm lease resumed). */
export const LEASE_LIFE_KEYS = ["lease-started", "lease-ended"] as const;

/**
 * The type an occurrence is sent as, or null when the settings do not ask for it. An idle release is a lease's
 * end: sent as lease-idle when that was picked, else as lease-ended.
 */
export function sendAs(on: readonly NotifyEventType[], kind: Occurrence["kind"]): NotifyEventType | null {
  if (on.includes(kind)) return kind;
  if (kind === "lease-idle" && on.includes("lease-ended")) return "lease-ended";
  return null;
}

const TITLES: Record<NotifyEvent["type"], string> = {
  "task-failed": "rv: task failed",
  "sweep-done": "rv: sweep done",
  "lease-started": "rv: lease started",
  "lease-ended": "rv: lease ended",
  "lease-idle": "rv: lease released for idleness",
  test: "rv: test",
};

export function eventOf(o: Occurrence, type: NotifyEventType, context: { host: string; now: Date }): NotifyEvent {
  const base = {
    v: PROTOCOL_VERSION,
    type,
    key: occurrenceKey(o),
    time: context.now.toISOString(),
    lease: o.lease,
    host: context.host,
    title: TITLES[type],
  } as const;
  switch (o.kind) {
    case "task-failed": {
      const { kind: _k, lease: _l, ...fields } = o;
      const who = o.name === undefined ? o.task : `${o.task} (${o.name})`;
      const how = o.reason ?? (o.signal ? `killed by ${o.signal}` : `exit code ${o.exitCode}`);
      return { ...base, ...fields, text: `task ${who} failed in lease ${o.lease}: ${how} (attempt ${o.attempt})` };
    }
    case "sweep-done": {
      const { round: _round, ...counts } = o.counts;
      return { ...base, sweep: o.sweep, ...counts, text: sweepText(o.sweep, o.lease, o.counts) };
    }
    case "lease-started":
      return { ...base, text: `lease ${o.lease} started on ${context.host}` };
    case "lease-ended": {
      const why = o.why === undefined ? "" : `: ${o.why}`;
      return { ...base, ended: o.ended, ...(o.why && { why: o.why }), text: `lease ${o.lease} ${o.ended}${why}` };
    }
    case "lease-idle":
      return { ...base, ended: "idle", why: o.why, text: `lease ${o.lease} was released: ${o.why}` };
  }
}

function sweepText(sweep: string, lease: string, c: SweepCounts): string {
  const parts = [
    `${c.succeeded} succeeded`,
    `${c.failed} failed`,
    ...(c.cancelled ? [`${c.cancelled} cancelled`] : []),
  ];
  return `sweep ${sweep} done in lease ${lease}: ${c.points} points, ${parts.join(", ")}`;
}

/** What `rv notify test` sends: a made-up event, never deduplicated. */
export function testEvent(context: { host: string; now: Date; place: string }): NotifyEvent {
  return {
    v: PROTOCOL_VERSION,
    type: "test",
    key: `test.${context.now.getTime()}`,
    time: context.now.toISOString(),
    lease: "-",
    host: context.host,
    title: TITLES.test,
    text: `a test notification from rv on ${context.host} (${context.place}): notifications reach you`,
  };
}

/** The event as a command's environment: RV_EVENT_TYPE, RV_EVENT_EXIT_CODE, ... (absent fields are left out). */
export function eventEnv(event: NotifyEvent): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [field, value] of Object.entries(event)) {
    if (value === undefined || value === null) continue;
    env[`RV_EVENT_${field.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`] = String(value);
  }
  return env;
}
