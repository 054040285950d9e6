import { deferred } from "../deferred.ts";
import {
  EVENTS_SLACK_MS,
  HeartbeatSchema,
  heartbeatFile,
  type LeasePaths,
  leasePaths,
  type RvEvent,
  readDoneOne,
  readLeaseEvents,
  TerminalStateSchema,
  tryReadRecord,
  type Usage,
  UsageSchema,
} from "../fsqueue/index.ts";
import { isTerminal, TaskStateSchema, type TaskView } from "../lease/index.ts";
import { z } from "../zod.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { type TaskRef, TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { newestViews, selectedViews } from "./select.ts";
import { leasesInScope } from "./summary.ts";

export const AttemptStatsSchema = deferred(() =>
  z.object({
    attempt: z.int(),
    /**
     * The latest attempt: the task's state. An earlier one: how it ended, `requeued` (rv sent it back: a retry, a
     * segment end), a terminal state (then `rv requeue` ran it again), or `lost` (its runner died).
     */
    state: z.string(),
    /** How it ended, as its runner said (`failed: exit code 1`, `attempt 1 exit code 1: retry 1 of 2; ...`). */
    outcome: z.nullable(z.string()),
    startedAt: z.nullable(z.string()),
    endedAt: z.nullable(z.string()),
    /** Up to now for a running attempt; null for one that never started or whose end is unknown. */
    elapsedMs: z.nullable(z.number()),
    /** As its runner last sampled it; null where none was recorded (not Linux, never started, runner lost). */
    usage: z.nullable(UsageSchema),
  }),
);
export type AttemptStats = z.infer<typeof AttemptStatsSchema>;

export const TaskStatsSchema = deferred(() =>
  z.object({
    id: z.string(),
    lease: z.string(),
    name: z.nullable(z.string()),
    state: TaskStateSchema,
    attempts: z.array(AttemptStatsSchema),
  }),
);
export type TaskStats = z.infer<typeof TaskStatsSchema>;

/**
 * `rv stats`: elapsed, CPU time and peak memory of every attempt of the selected tasks (or of every task in
 * scope), from what runners recorded: each attempt's `finished`/`requeued` event, the `done/` record of the last,
 * and for a running attempt its runner's heartbeat. Of every task in scope, or a tag's, `limit` keeps the newest.
 */
export const statsOp = defineOp({
  name: "stats",
  input: deferred(() =>
    z.object({
      select: TaskSelectionSchema,
      /** Of every task in scope (`all`) or a tag's: the newest N; 0 for all. Tasks named are all given. */
      limit: z._default(z.int().check(z.gte(0)), 0),
    }),
  ),
  result: deferred(() =>
    z.object({
      tasks: z.array(TaskStatsSchema),
      elsewhere: z.array(TaskRefSchema),
      /** How many tasks the selection holds here, the ones `limit` left out included. */
      total: z.int(),
    }),
  ),
  run(env, input) {
    const { views, elsewhere, total } = statsViews(env, input.select, input.limit);
    const nowMs = env.now().getTime();
    // Each lease's log is read once, back to its oldest task's submission: not the whole history for the newest few.
    const since = new Map<string, number>();
    for (const view of views) {
      since.set(view.lease, Math.min(since.get(view.lease) ?? Infinity, Date.parse(view.submittedAt)));
    }
    const logs = new Map<string, Map<string, RvEvent[]>>();
    const tasks = views.map((view): TaskStats => {
      const p = leasePaths(env.root, view.lease);
      let log = logs.get(view.lease);
      if (!log) {
        log = attemptEvents(p, since.get(view.lease) ?? 0);
        logs.set(view.lease, log);
      }
      const attempts = attemptStats(view, log.get(view.id) ?? [], currentUsage(p, view), nowMs);
      return { id: view.id, lease: view.lease, name: view.name, state: view.state, attempts };
    });
    return { tasks, elsewhere, total };
  },
});

/**
 * The tasks a selection names, or of every task in scope (or a tag's) the newest `limit`, oldest first. With every
 * task, a long history is not read: the newest are found from directory listings (newestViews).
 */
function statsViews(
  env: OpEnv,
  select: z.output<typeof TaskSelectionSchema>,
  limit: number,
): { views: TaskView[]; elsewhere: TaskRef[]; total: number } {
  const everyTask = select.all && select.tags.length === 0;
  if (everyTask && limit > 0) return { ...newestViews(env, leasesInScope(env, select.lease), limit), elsewhere: [] };
  const { views, elsewhere } = selectedViews(env, select, () => true);
  const sorted = views.sort((a, b) => a.id.localeCompare(b.id));
  const named = !select.all && select.tags.length === 0;
  return { views: named || limit === 0 ? sorted : sorted.slice(-limit), elsewhere, total: views.length };
}

/**
 * The events that bound attempts (started, finished, requeued) of a lease's tasks submitted since `sinceMs`, by task,
 * oldest first. A runner's clock may trail the submitter's: EVENTS_SLACK_MS earlier still counts.
 */
function attemptEvents(p: LeasePaths, sinceMs: number): Map<string, RvEvent[]> {
  const byTask = new Map<string, RvEvent[]>();
  const events = readLeaseEvents(p, { types: ["started", "finished", "requeued"], sinceMs: sinceMs - EVENTS_SLACK_MS })
    .filter((e) => e.task !== undefined)
    .sort((a, b) => a.time.localeCompare(b.time));
  for (const event of events) {
    const id = event.task as string;
    const list = byTask.get(id);
    if (list) list.push(event);
    else byTask.set(id, [event]);
  }
  return byTask;
}

/**
 * What the task's latest attempt used: from its `done/` record once it ended, or as its runner's last heartbeat
 * says while it runs.
 */
export function currentUsage(p: LeasePaths, view: TaskView): Usage | undefined {
  if (isTerminal(view.state)) {
    const done = readDoneOne(p, view.id);
    return done?.task.attempt === view.attempt ? done.usage : undefined;
  }
  if (view.state !== "running" || view.runner === null) return undefined;
  const beat = tryReadRecord(heartbeatFile(p, view.runner), HeartbeatSchema);
  if (!beat?.ok) return undefined;
  return beat.value.running.find((r) => r.task === view.id && r.attempt === view.attempt)?.usage;
}

/** Every attempt of a task, 1 to its latest, from its events (`events`: this task's, oldest first). */
export function attemptStats(
  view: TaskView,
  events: readonly RvEvent[],
  current: Usage | undefined,
  nowMs: number,
): AttemptStats[] {
  return Array.from({ length: view.attempt }, (_, i) => {
    const attempt = i + 1;
    const mine = events.filter((e) => e.attempt === attempt);
    const started = mine.find((e) => e.type === "started")?.time ?? null;
    const end = mine.filter((e) => e.type === "finished" || e.type === "requeued").at(-1);
    if (attempt < view.attempt) {
      const endedAt = end?.time ?? null;
      return {
        attempt,
        state: earlierState(end),
        outcome: end?.detail ?? null,
        startedAt: started,
        endedAt,
        elapsedMs: started && endedAt ? Date.parse(endedAt) - Date.parse(started) : null,
        usage: end?.usage ?? null,
      };
    }
    const startedAt = view.startedAt ?? started;
    const until = view.endedAt ? Date.parse(view.endedAt) : view.state === "running" ? nowMs : null;
    return {
      attempt,
      state: view.state,
      outcome: end?.detail ?? null,
      startedAt,
      endedAt: view.endedAt,
      elapsedMs: startedAt && until !== null ? Math.max(0, until - Date.parse(startedAt)) : null,
      usage: current ?? end?.usage ?? null,
    };
  });
}

/** How an attempt before the latest ended, from the event its runner wrote then (none: its runner was lost). */
function earlierState(end: RvEvent | undefined): string {
  if (end?.type === "requeued") return "requeued";
  const said = TerminalStateSchema.safeParse(end?.detail?.split(":")[0]);
  return said.success ? said.data : "lost";
}
