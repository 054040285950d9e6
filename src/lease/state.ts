import { basename, join } from "node:path";
import { deferred } from "../deferred.ts";
import {
  type ClaimedEntry,
  type DependencyEnd,
  type DoneSummary,
  dependencyReason,
  dependencyVerdict,
  doneStates,
  type Heartbeat,
  holdsClaims,
  isGone,
  judgeLiveness,
  type LeasePaths,
  latestState,
  listBad,
  listEntries,
  mergeDone,
  type Observation,
  readArchive,
  readClaimed,
  readDone,
  readDoneCounts,
  readDoneOne,
  readDoneRecord,
  readHeartbeats,
  readLatestEvent,
  readNote,
  readNotes,
  readPending,
  readUnreadableDone,
  recallObservations,
  recordFile,
  SweepPointSchema,
  stillForMs,
  type TaskCopy,
  TaskSchema,
  type TaskSummary,
  TerminalStateSchema,
  tryReadRecord,
  type UnreadableSummary,
} from "../fsqueue/index.ts";
import { z } from "../zod.ts";
import { isLiveRunner } from "./runner-health.ts";

export const RunnerViewSchema = deferred(() =>
  z.object({
    id: z.string(),
    host: z.string(),
    pid: z.number(),
    /** `gone`: stale, and every claim it held recovered: it holds no task and no GPU any more (fsqueue/gone.ts). */
    health: z.enum(["ok", "draining", "stale", "gone", "exited"]),
    /** On another host: how long this host has seen the heartbeat stand still. */
    heartbeatAgeMs: z.number(),
    segment: z.string(),
    running: z.number(),
    gpus: z.array(z.string()),
    freeGpus: z.array(z.string()),
    cpus: z.number(),
    freeCpus: z.number(),
    /** Pending tasks it can never run (Heartbeat.tooLarge); absent when none. */
    tooLarge: z.optional(z.array(z.string())),
  }),
);
export type RunnerView = z.infer<typeof RunnerViewSchema>;

export { isLiveRunner };

/**
 * `blocked`: pending, waiting for its dependencies (`--after`) to succeed; `dep_failed`: one of them failed or was
 * cancelled, so it never starts (terminal, like `failed`); `unknown`: it ended, but its done/ record cannot be read
 * (terminal: no runner takes it up again; the reason says which file and why).
 */
export const TaskStateSchema = z.enum([
  "pending",
  "blocked",
  "running",
  "lost",
  "succeeded",
  "failed",
  "cancelled",
  "dep_failed",
  "unknown",
]);
export type TaskState = z.infer<typeof TaskStateSchema>;

export const TaskViewSchema = deferred(() =>
  z.object({
    id: z.string(),
    lease: z.string(),
    name: z.nullable(z.string()),
    state: TaskStateSchema,
    attempt: z.number(),
    command: z.union([z.object({ argv: z.array(z.string()) }), z.object({ shell: z.string() })]),
    cwd: z.string(),
    gpus: z.number(),
    cpus: z.number(),
    assignedGpus: z.array(z.string()),
    runner: z.nullable(z.string()),
    host: z.nullable(z.string()),
    submittedAt: z.string(),
    startedAt: z.nullable(z.string()),
    endedAt: z.nullable(z.string()),
    exitCode: z.nullable(z.number()),
    signal: z.nullable(z.string()),
    reason: z.nullable(z.string()),
    tags: z.array(z.string()),
    note: z.nullable(z.string()),
    sweep: z.nullable(SweepPointSchema),
    /** `--retry`: how many retries it may have, and how many it has had. */
    retry: z.nullable(z.object({ max: z.int(), retried: z.int() })),
    /** Ids of the tasks it runs after (`--after`). */
    after: z.array(z.string()),
  }),
);
export type TaskView = z.infer<typeof TaskViewSchema>;

export interface Observer {
  host: string;
  nowMs: number;
  staleAfterMs: number;
  pidAlive: (pid: number) => boolean;
}

/**
 * On this host a dead pid decides. Otherwise `observation` is when this host first saw the runner's current
 * counter (recallObservations); without one (a first look) the runner counts as alive. Its heartbeat age is how
 * long this host has seen the counter stand still: no clock but the observer's is ever read.
 * A stale runner is asked `holdsClaims`: once its claims are recovered it is gone, and what its last heartbeat
 * says it ran and held no longer counts.
 */
export function runnerView(
  hb: Heartbeat,
  observer: Observer,
  observation: Observation | undefined,
  holdsClaims: (runner: string) => boolean,
): RunnerView {
  const facts = {
    hb,
    observation: observation ?? { counter: hb.counter, seenAtMs: observer.nowMs },
    nowMs: observer.nowMs,
    staleAfterMs: observer.staleAfterMs,
    localHost: observer.host,
  };
  const liveness = judgeLiveness({ ...facts, pidAlive: observer.pidAlive });
  const view: RunnerView = {
    id: hb.runner,
    host: hb.host,
    pid: hb.pid,
    health: liveness === "alive" ? (hb.state === "draining" ? "draining" : "ok") : liveness,
    heartbeatAgeMs: stillForMs(facts),
    segment: hb.segment,
    running: hb.running.length,
    gpus: hb.gpus,
    freeGpus: hb.freeGpus,
    cpus: hb.cpus,
    freeCpus: hb.freeCpus,
    ...(hb.tooLarge && { tooLarge: hb.tooLarge }),
  };
  // Only a stale runner's claim directory is listed: a live one holds what its heartbeat says.
  if (liveness !== "stale" || !isGone(liveness, holdsClaims(hb.runner))) return view;
  return { ...view, health: "gone", running: 0, gpus: [], freeGpus: [], cpus: 0, freeCpus: 0 };
}

function baseView(task: TaskSummary): TaskView {
  return {
    id: task.id,
    lease: task.lease,
    name: task.name ?? null,
    state: "pending",
    attempt: task.attempt,
    command: task.command.kind === "argv" ? { argv: task.command.argv } : { shell: task.command.script },
    cwd: task.cwd,
    gpus: task.gpus,
    cpus: task.cpus,
    assignedGpus: [],
    runner: null,
    host: null,
    submittedAt: task.submittedAt,
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    reason: null,
    tags: task.tags,
    note: task.note ?? null,
    sweep: task.sweep ?? null,
    retry: task.retry ? { max: task.retry.max, retried: task.retried ?? 0 } : null,
    after: task.after ?? [],
  };
}

/** A pending task with dependencies is `blocked` until they all succeed, and `dep_failed` once one did not. */
function withDependencies(
  view: TaskView,
  endOf: (id: string) => DependencyEnd | undefined,
  nameOf: (id: string) => string | undefined,
): TaskView {
  if (view.state !== "pending" || view.after.length === 0) return view;
  const verdict = dependencyVerdict(view.after, endOf);
  if (verdict.kind === "ready") return view;
  const reason = dependencyReason(verdict, nameOf);
  return { ...view, state: verdict.kind === "waiting" ? "blocked" : "dep_failed", reason };
}

/** How a task ended, as a dependency sees it: a `dep_failed` one failed; an `unknown` one did not succeed. */
function endOfView(view: TaskView | undefined): DependencyEnd | undefined {
  if (view === undefined) return undefined;
  if (view.state === "dep_failed") return "failed";
  if (view.state === "unknown") return "unknown";
  return TerminalStateSchema.safeParse(view.state).data;
}

function claimedView(p: LeasePaths, entry: ClaimedEntry, runners: Runners): TaskView {
  const runner = runners.get(entry.owner);
  const running = runner?.hb.running.find((r) => r.task === entry.task.id);
  const lost = runner ? !isLiveRunner(runner.view) : false;
  return {
    ...baseView(entry.task),
    state: lost ? "lost" : "running",
    assignedGpus: running?.gpus ?? [],
    runner: entry.owner,
    host: runner?.hb.host ?? null,
    startedAt: running?.startedAt ?? startedEvent(p, entry),
  };
}

/**
 * A task started since its runner's last heartbeat: its start is in the runner's event log, among its last lines.
 * Read only then, so a listing of a long history does not read every runner's log.
 */
function startedEvent(p: LeasePaths, entry: ClaimedEntry): string | null {
  const { id, attempt } = entry.task;
  const started = readLatestEvent(
    p,
    entry.owner,
    id,
    (e) => e.type === "started" && e.task === id && e.attempt === attempt,
  );
  return started?.time ?? null;
}

/** The tasks `rv clean` archived, as they ended. */
export function readArchivedViews(p: LeasePaths): TaskView[] {
  return readArchive(p)
    .map(doneView)
    .sort((a, b) => a.id.localeCompare(b.id));
}

function doneView(done: DoneSummary): TaskView {
  return {
    ...baseView(done.task),
    state: done.depFailed === undefined ? done.state : "dep_failed",
    assignedGpus: done.gpus,
    runner: done.runner,
    host: done.host,
    startedAt: done.startedAt,
    endedAt: done.endedAt,
    exitCode: done.exitCode,
    signal: done.signal,
    reason: done.reason ?? null,
  };
}

/**
 * A task whose done/ record does not parse: `unknown`, with the reason, and what the record still says of the task
 * (its name, command, ...) when it says it whole; else only its id and lease are known.
 */
function unknownView(p: LeasePaths, bad: UnreadableSummary): TaskView {
  const reason = `its done record ${bad.file} cannot be read (${bad.reason})`;
  if (bad.task) return { ...baseView(bad.task), id: bad.id, state: "unknown", reason };
  return {
    id: bad.id,
    // The lease's directory is named after it (leasePaths).
    lease: basename(p.dir),
    name: null,
    state: "unknown",
    attempt: 0,
    command: { argv: [] },
    cwd: "",
    gpus: 0,
    cpus: 0,
    assignedGpus: [],
    runner: null,
    host: null,
    submittedAt: "",
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    reason,
    tags: [],
    note: null,
    sweep: null,
    retry: null,
    after: [],
  };
}

type Runners = Map<string, { hb: Heartbeat; view: RunnerView }>;

function copyView(p: LeasePaths, copy: TaskCopy<DoneSummary>, runners: Runners): TaskView {
  switch (copy.state) {
    case "pending":
      return baseView(copy.task);
    case "claimed":
      return claimedView(p, { owner: copy.owner, key: copy.key, task: copy.task }, runners);
    case "done":
      return doneView(copy.done);
  }
}

function runnersOf(p: LeasePaths, heartbeats: Heartbeat[], observer: Observer): Runners {
  const seen = recallObservations(p, observer.host, heartbeats, observer.nowMs);
  const holds = (runner: string) => holdsClaims(p, runner);
  return new Map(
    heartbeats.map((hb) => [hb.runner, { hb, view: runnerView(hb, observer, seen.get(hb.runner), holds) }]),
  );
}

/** The runners of a lease as this observer judges them now, remembering what it saw of other hosts. */
export function readRunnerViews(p: LeasePaths, observer: Observer): RunnerView[] {
  return [...runnersOf(p, readHeartbeats(p), observer).values()].map((r) => r.view);
}

export interface LeaseState {
  runners: RunnerView[];
  tasks: TaskView[];
  bad: string[];
}

export function readLeaseState(p: LeasePaths, observer: Observer): LeaseState {
  const runners = runnersOf(p, readHeartbeats(p), observer);
  const tasks = [...tasksOf(p, runners)];
  return { runners: [...runners.values()].map((r) => r.view), tasks, bad: listBad(p) };
}

/**
 * The lease's tasks as readLeaseState has them, sorted by id, one at a time: done/ is read a line of the done index
 * at a time, so a listing of a long history holds only the tasks waiting or running whole.
 */
export function* readLeaseTasks(p: LeasePaths, observer: Observer): Generator<TaskView> {
  yield* tasksOf(p, runnersOf(p, readHeartbeats(p), observer));
}

/**
 * Read in the order a task usually moves (inbox -> claimed -> done), as readSnapshot does, so a task caught moving
 * is seen twice and its newest copy kept. The few tasks waiting or claimed are judged by their dependencies first
 * (a dependency that ended is read from its record); done/'s lines are then merged in by id.
 */
function* tasksOf(p: LeasePaths, runners: Runners): Generator<TaskView> {
  const moving = latestState({ pending: readPending(p), claimed: readClaimed(p), done: [] });
  const notes = readNotes(p);
  const noted = (view: TaskView): TaskView => {
    const note = notes.get(view.id);
    return note === undefined ? view : { ...view, note: note || null };
  };
  const views = [...moving.values()].map((copy) => noted(copyView(p, copy, runners)));
  const judged = judgeDependencies(views, doneStates(p), (id) => recordedName(p, id));
  for (const item of mergeDone(judged, moving, readDone(p))) {
    if ("moving" in item) yield item.moving;
    else yield noted("done" in item.line ? doneView(item.line.done) : unknownView(p, item.line.unreadable));
  }
}

/**
 * The views sorted by id, each pending one judged by its dependencies (blocked, dep_failed); `outside` says how a
 * dependency not among the views ended, and `outsideName` what it is called.
 */
function judgeDependencies(
  views: TaskView[],
  outside: (id: string) => DependencyEnd | undefined,
  outsideName: (id: string) => string | undefined = () => undefined,
): TaskView[] {
  const byId = new Map(views.map((view) => [view.id, view]));
  // A chain is judged as a whole: C after B after a failed A is dep_failed now, not once a runner records B. Oldest
  // first: a dependency is nearly always older than its task, so it is judged already and the recursion stays flat.
  const judged = new Map<string, TaskView>();
  const judging = new Set<string>();
  const judge = (view: TaskView): TaskView => {
    const known = judged.get(view.id);
    if (known) return known;
    judging.add(view.id);
    const endOf = (id: string): DependencyEnd | undefined => {
      const dep = byId.get(id);
      if (!dep) return outside(id);
      // A loop (only a hand-written record can make one) waits: nothing in it can start.
      return judging.has(id) ? undefined : endOfView(judge(dep));
    };
    const nameOf = (id: string) => {
      const dep = byId.get(id);
      return dep ? (dep.name ?? undefined) : outsideName(id);
    };
    const result = withDependencies(view, endOf, nameOf);
    judging.delete(view.id);
    judged.set(view.id, result);
    return result;
  };
  return views.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(judge);
}

/** A lease at a glance: its runners, its tasks counted by state, and its records in bad/. */
export interface LeaseCounts {
  runners: RunnerView[];
  counts: Record<TaskState, number>;
  bad: string[];
}

/**
 * The lease's tasks counted by state, as countByState(readLeaseState(...).tasks) counts them, reading done/ from the
 * done index's header alone: of the records only the few tasks waiting or claimed are read, for theirs may have a
 * done record their newer copy overrides (it is counted by it, not by the record). When done/ changed since the index
 * was written, the index is brought up to date first (only the records changed since are read).
 */
export function readLeaseCounts(p: LeasePaths, observer: Observer): LeaseCounts {
  const pending = readPending(p);
  const claimed = readClaimed(p);
  const ids = new Set([...pending, ...claimed].map((e) => e.task.id));
  const records = [...ids].flatMap((id) => readDoneRecord(p, id) ?? []);
  // Read after the copies, as readLeaseState reads done/ after them: a task that ended meanwhile is in the counts.
  const doneCounts = readDoneCounts(p);
  const done = records.flatMap((r) => (r.ok ? [r.done] : []));
  const runners = runnersOf(p, readHeartbeats(p), observer);
  const latest = latestState({ pending, claimed, done });
  const counts = { ...countByState([]), ...doneCounts };
  // A record its task's newer copy overrides, or one that does not parse beside a copy under way, is not its state.
  for (const r of records) {
    if (!r.ok) counts.unknown--;
    else if (latest.get(r.done.task.id)?.state !== "done") counts[doneView(r.done).state]--;
  }
  const moving = [...latest.values()].filter((copy) => copy.state !== "done");
  const views = moving.map((copy) => copyView(p, copy, runners));
  const ended = doneStates(p);
  for (const view of judgeDependencies(views, ended)) counts[view.state]++;
  return { runners: [...runners.values()].map((r) => r.view), counts, bad: listBad(p) };
}

/** Waiting in the inbox to be started: `pending`, or `blocked` on its dependencies. */
export function isQueued(state: TaskState): boolean {
  return state === "pending" || state === "blocked";
}

/** It will not move again by itself: it ended (how, `unknown` cannot say). */
export function isTerminal(state: TaskState): boolean {
  return (
    state === "succeeded" ||
    state === "failed" ||
    state === "cancelled" ||
    state === "dep_failed" ||
    state === "unknown"
  );
}

export function countByState(tasks: TaskView[]): Record<TaskState, number> {
  const counts = Object.fromEntries(TaskStateSchema.options.map((state) => [state, 0])) as Record<TaskState, number>;
  for (const task of tasks) counts[task.state]++;
  return counts;
}

/** One task's current view, read from the three places it can be without listing the whole lease. */
export function readTaskView(p: LeasePaths, id: string, observer: Observer): TaskView | undefined {
  const view = readCopyView(p, id, observer);
  if (!view) return undefined;
  const note = readNote(p, id);
  const noted = note === undefined ? view : { ...view, note: note || null };
  return withDependencies(noted, doneStates(p), (dep) => recordedName(p, dep));
}

/** A task's name as its newest copy says it; a done record that cannot be read, as far as it still says it. */
function recordedName(p: LeasePaths, id: string): string | undefined {
  return (readTaskCopy(p, id)?.task ?? readUnreadableDone(p, id)?.task)?.name;
}

/** The task's view from its newest copy, or `unknown` when its only copy is a done record that cannot be read. */
function readCopyView(p: LeasePaths, id: string, observer: Observer): TaskView | undefined {
  const copy = readTaskCopy(p, id);
  if (copy) return copyView(p, copy, runnersOf(p, copy.state === "claimed" ? readHeartbeats(p) : [], observer));
  const bad = readUnreadableDone(p, id);
  return bad && unknownView(p, bad);
}

/** One task's newest copy (its record as it stands, and where), reading only that task's files. */
export function readTaskCopy(p: LeasePaths, id: string): TaskCopy | undefined {
  // In the order a task moves (inbox, claimed, done): a task that moves on between two reads is found at its
  // next place. Read the other way round, one that finished meanwhile was in none of them.
  const pending = tryReadRecord(recordFile(p.inbox, id), TaskSchema);
  const claimed = listEntries(p.claimed).flatMap((owner) => {
    const copy = tryReadRecord(recordFile(join(p.claimed, owner), id), TaskSchema);
    return copy?.ok ? [{ owner, key: id, task: copy.value }] : [];
  });
  const done = readDoneOne(p, id);
  return latestState({
    pending: pending?.ok ? [{ key: id, task: pending.value }] : [],
    claimed,
    done: done ? [done] : [],
  }).get(id);
}
