import { appendFileSync, existsSync } from "node:fs";
import {
  admissionRefusal,
  claimTask,
  controlFile,
  dependencyReason,
  dependencyVerdict,
  doneStates,
  type EventInput,
  finishClaim,
  finishClaimAsync,
  hasControl,
  hasNewerCopy,
  type LeasePaths,
  quarantine,
  type RunningEntry,
  readControl,
  readDoneOne,
  requeueClaim,
  returnClaim,
  type Task,
  taskLogFile,
  type Usage,
  unlinkIfPresent,
  withFileLock,
} from "../fsqueue/index.ts";
import { launchTask, type TaskEnd } from "./execute.ts";
import { type AttemptProcs, type Kill, killAttempt, leftoversNote, signalAttempt } from "./kill.ts";
import type { RunnerOptions } from "./options.ts";
import { CANCEL_REASON, type EndVerdict, retryDecision, timedOut, verdictDetail, verdictFor } from "./outcome.ts";
import type { ResourcePool } from "./pool.ts";
import type { UsageSampler } from "./sampler.ts";
import { attemptTag } from "./tag.ts";

/** A task this runner claimed and started; the child process handle stays in memory, never on disk. */
export interface RunningTask {
  key: string;
  task: Task;
  claimFile: string;
  gpus: string[];
  cpus: number;
  pid: number | undefined;
  /** In the environment of every process the attempt starts (tag.ts). */
  tag: string;
  startedAt: Date;
  /** performance.now() at its start (execute.ts). */
  startedMs: number;
  /** Set when rv ends the attempt: a user's cancel, or an interruption that sends the task back to the inbox. */
  /** `cancel` (a user's), `timeout` (its --timeout), or an interruption by rv (back to the inbox). */
  stop?: "cancel" | "timeout" | Interruption;
  killing?: Promise<Kill>;
  /** The --timeout timer, cleared when the attempt ends. */
  deadline?: NodeJS.Timeout;
  /** What its process group has used, as last sampled (sampler.ts); recorded with its end. */
  usage?: Usage;
}

/** Why rv sends a running task back to the inbox, for the `requeued` event and the requeued record. */
export interface Interruption {
  reason: string;
  /** The next attempt may resume from a checkpoint: it gets RV_RESUME=1. */
  resume: boolean;
}

/** The segment's job is about to end: what is interrupted now may resume in the next segment. */
export const SEGMENT_END: Interruption = { reason: "segment end", resume: true };

/** The task ran `scontrol requeue` of its segment's job (scontrol-shim.ts): it saved its state and asked to resume. */
export const TASK_REQUEUE: Interruption = { reason: "the task ran scontrol requeue", resume: true };

/** What the task life cycle needs of its runner. */
export interface TaskContext {
  opts: RunnerOptions;
  paths: LeasePaths;
  runner: string;
  host: string;
  pool: ResourcePool;
  running: Map<string, RunningTask>;
  stats: { finished: number; requeued: number };
  emit: (event: EventInput) => void;
  /** Called whenever a task leaves (resources freed): the loop may start the next. */
  wake: () => void;
  /** Called once a task's done/ record is written (rv notify: a failure, a sweep's end). */
  ended?: (taskId: string) => void;
  sampler: UsageSampler;
  /** Put first on every task's PATH: the runner's scontrol shim, on a Slurm segment (scontrol-shim.ts). */
  pathFirst?: string;
}

/**
 * The claimed record, or nothing: another runner won (normal), or the record was bad or must not run here (another
 * lease's, an attempt that ran already): quarantined, and said.
 */
function claimOrSayWhy(ctx: TaskContext, key: string): { task: Task; file: string } | undefined {
  const claim = claimTask(ctx.paths, ctx.runner, key);
  if (claim.kind === "quarantined") ctx.emit({ type: "quarantined", detail: `${key}: ${claim.reason}` });
  if (claim.kind !== "claimed") return undefined;
  const refused = admissionRefusal(ctx.paths, ctx.opts.lease, claim.task);
  if (refused === undefined) return claim;
  quarantine(ctx.paths, claim.file, refused);
  ctx.opts.log(`quarantined inbox/${key}.json: ${refused}`);
  ctx.emit({ type: "quarantined", detail: `${key}: ${refused}` });
  return undefined;
}

/** Claims `key` (losing the race to another runner is normal) and starts what the claimed record says. */
export function claimAndStart(ctx: TaskContext, key: string): void {
  const claim = claimOrSayWhy(ctx, key);
  if (!claim) return;
  const { task, file } = claim;
  const waiting = task.after !== undefined && dependencyVerdict(task.after, doneStates(ctx.paths)).kind !== "ready";
  if (waiting || (task.notBefore !== undefined && Date.parse(task.notBefore) > Date.now())) {
    // Placed on stale facts: it still waits out its backoff, or a dependency went back to the inbox meanwhile.
    returnClaim(ctx.paths, file, task);
    return;
  }
  ctx.emit({ type: "claimed", task: task.id, attempt: task.attempt });
  if (hasControl(ctx.paths, task.id, "cancel")) {
    finishUnstarted(
      ctx,
      { key, task, claimFile: file },
      { state: "cancelled", exitCode: null, signal: null, reason: CANCEL_REASON },
    );
    unlinkIfPresent(controlFile(ctx.paths, task.id, "cancel"));
    return;
  }
  const gpus = ctx.pool.take(task.gpus, task.cpus);
  if (gpus === undefined) {
    // The record changed between our look at the inbox and the claim, and no longer fits: back in line.
    ctx.opts.log(`task ${task.id} no longer fits the free resources after its claim; requeued`);
    requeue(ctx, { task, claimFile: file }, { reason: "its record changed and no longer fits", resume: false });
    return;
  }
  try {
    start(ctx, { key, task, claimFile: file, gpus, cpus: task.cpus });
  } catch (error) {
    // The runner could not even set the attempt up (its log directory, say): say so in done/, don't loop.
    ctx.pool.give(gpus, task.cpus);
    ctx.running.delete(task.id);
    const reason = `rv could not start it: ${error instanceof Error ? error.message : String(error)}`;
    finishUnstarted(ctx, { key, task, claimFile: file }, { state: "failed", exitCode: null, signal: null, reason });
  }
}

/**
 * A pending task whose dependency failed or was cancelled can never start: it is claimed (so no runner starts it)
 * and recorded failed with `depFailed`, unstarted. Its dependency's requeue brings it back (ops/requeue.ts).
 */
export function recordDepFailed(ctx: TaskContext, key: string): void {
  const claim = claimOrSayWhy(ctx, key);
  if (!claim) return;
  const { task, file } = claim;
  // Judged and recorded under the lock a requeue looks for such records under (ops/requeue.ts): a dependency
  // requeued meanwhile is either seen pending here, or its requeue finds this record and puts the task back.
  withFileLock(ctx.paths.dependenciesLock, () => {
    const verdict = dependencyVerdict(task.after, doneStates(ctx.paths));
    if (verdict.kind !== "failed") {
      returnClaim(ctx.paths, file, task); // its dependency was requeued since the look that placed it
      return;
    }
    const reason = dependencyReason(verdict, (id) => readDoneOne(ctx.paths, id)?.task.name);
    finishUnstarted(
      ctx,
      { key, task, claimFile: file },
      { state: "failed", exitCode: null, signal: null, reason, depFailed: verdict.dep },
    );
  });
}

function start(ctx: TaskContext, claimed: Pick<RunningTask, "key" | "task" | "claimFile" | "gpus" | "cpus">): void {
  const { task } = claimed;
  const tag = attemptTag(ctx.runner, task.id, task.attempt);
  const { pathFirst } = ctx;
  const launched = launchTask({ paths: ctx.paths, task, gpus: claimed.gpus, env: ctx.opts.env, tag, pathFirst });
  const { pid, startedAt, startedMs } = launched;
  const entry: RunningTask = { ...claimed, pid, tag, startedAt, startedMs };
  ctx.running.set(task.id, entry);
  if (task.timeoutMs !== undefined) {
    entry.deadline = setTimeout(() => {
      ctx.opts.log(`task ${task.id} attempt ${task.attempt}: past its --timeout (${task.timeoutMs} ms), stopping it`);
      stopTask(ctx, entry, "timeout");
    }, task.timeoutMs);
  }
  if (launched.pid !== undefined) {
    ctx.emit({
      type: "started",
      task: task.id,
      attempt: task.attempt,
      pid: launched.pid,
      procStart: launched.procStart,
      detail: `gpus=${claimed.gpus.join(",")} cpus=${claimed.cpus}`,
    });
  }
  launched.end
    .then((end) => settle(ctx, entry, end))
    .catch((error: unknown) => ctx.opts.log(`task ${task.id}: settling failed: ${String(error)}`));
}

function procsOf(entry: RunningTask): AttemptProcs {
  const { pid, tag, startedMs } = entry;
  return { pgid: pid, tag, ...(pid !== undefined && { leader: { pid, startedMs } }) };
}

/**
 * Ends the attempt from our side: SIGTERM to its group and to its processes outside it, SIGKILL after the kill
 * grace. A task already sent its checkpoint signal keeps that interruption as the reason.
 */
export function stopTask(ctx: TaskContext, entry: RunningTask, why: "cancel" | "timeout" | Interruption): void {
  if (entry.killing !== undefined) return;
  entry.stop ??= why;
  if (entry.pid === undefined) return;
  entry.killing = killAttempt(procsOf(entry), ctx.opts.killGraceMs);
  // A failure is settle's to report: it awaits the same promise.
  entry.killing.then(
    (kill) => {
      if (kill.strays.length > 0) ctx.opts.log(`task ${entry.task.id}: also stopped pid ${kill.strays.join(", ")}`);
    },
    () => {},
  );
}

/**
 * Sends a task that asked for it its checkpoint signal, and marks the attempt interrupted: however it then
 * ends (saved and exited, or stopped when the grace runs out), it goes back to the inbox. A task without a
 * checkpoint signal is left alone: it may still finish within the grace.
 */
export function checkpointTask(ctx: TaskContext, entry: RunningTask, why: Interruption): void {
  const signal = entry.task.checkpointSignal;
  if (signal === undefined || entry.stop !== undefined) return;
  entry.stop = why;
  if (entry.pid === undefined) return;
  ctx.opts.log(`task ${entry.task.id}: ${why.reason}, sending ${signal} to its group (pid ${entry.pid})`);
  signalAttempt(procsOf(entry), signal);
}

/** However the attempt now ends, it goes back to the inbox: the job around it is ending, not the task failing. */
export function markInterrupted(entry: RunningTask, why: Interruption): void {
  entry.stop ??= why;
}

/**
 * The leader exited, which ends the attempt: what it left running (in its group, or outside it by setsid or as
 * a daemon) is stopped before the result is recorded and its share freed, so the next task finds its GPUs
 * free. Its .err log says so.
 */
async function settle(ctx: TaskContext, entry: RunningTask, end: TaskEnd): Promise<void> {
  clearTimeout(entry.deadline);
  if (entry.stop === undefined && askedToRequeue(ctx.paths, entry.task)) entry.stop = TASK_REQUEUE;
  await ctx.sampler.final(entry);
  await noticeJobEnd(ctx, entry, end);
  if (entry.killing !== undefined) await entry.killing;
  else if (entry.pid !== undefined) {
    const leftovers = await killAttempt(procsOf(entry), ctx.opts.killGraceMs);
    if (leftovers.outcome !== "gone") noteLeftovers(ctx, entry, leftovers);
  }
  // Its processes are gone: its share is free for the next task, which starts while its end is being recorded.
  ctx.pool.give(entry.gpus, entry.cpus);
  ctx.wake();
  await recordUntilDone(ctx, entry, end, 0);
}

/** How soon a runner asks again to record an attempt's end that the filesystem refused, doubling up to a minute. */
const RECORD_RETRY_MS = 1000;
const RECORD_RETRY_MAX_MS = 60_000;

/**
 * Records the attempt's end. A filesystem that refuses it (full, or gone for a while) is asked again later: the
 * task stays this runner's (its claim, the heartbeat's running list, a drain waits for it), so it is neither
 * lost nor recovered as a crash and run again while the runner lives. Each step of the record is all-or-nothing.
 */
async function recordUntilDone(ctx: TaskContext, entry: RunningTask, end: TaskEnd, failures: number): Promise<void> {
  try {
    // A record that threw after its commit point (unlinking the claim, say) must not commit twice: a second
    // inbox copy of the next attempt would run it twice at once.
    if (failures > 0 && hasNewerCopy(ctx.paths, entry.key, entry.task)) {
      unlinkIfPresent(entry.claimFile);
      ctx.opts.log(`task ${entry.task.id} attempt ${entry.task.attempt}: its end was recorded; claim cleared`);
    } else await recordEnd(ctx, entry, end);
  } catch (error) {
    const waitMs = Math.min(RECORD_RETRY_MAX_MS, RECORD_RETRY_MS * 2 ** failures);
    if (failures === 0 || waitMs === RECORD_RETRY_MAX_MS) {
      const { id, attempt } = entry.task;
      ctx.opts.log(`task ${id} attempt ${attempt}: cannot record its end (${String(error)}); asking again`);
    }
    setTimeout(() => void recordUntilDone(ctx, entry, end, failures + 1), waitMs);
    return;
  }
  ctx.running.delete(entry.task.id);
  ctx.wake();
}

async function recordEnd(ctx: TaskContext, entry: RunningTask, end: TaskEnd): Promise<void> {
  if (!existsSync(entry.claimFile)) {
    ctx.opts.log(`task ${entry.task.id} attempt ${entry.task.attempt}: claim taken over while running; result dropped`);
    const { id, attempt } = entry.task;
    ctx.emit({ type: "finished", task: id, attempt, detail: "claim taken over", usage: entry.usage });
  } else if (typeof entry.stop === "object") {
    requeue(ctx, entry, entry.stop);
    unlinkIfPresent(controlFile(ctx.paths, entry.task.id, "requeue"));
  } else {
    const cancelled = entry.stop === "cancel";
    const ran = verdictFor(end, cancelled);
    const verdict = entry.stop === "timeout" ? timedOut(ran) : ran;
    // A cancel asked for while the attempt was failing on its own wins over a retry.
    const cancelAsked = hasControl(ctx.paths, entry.task.id, "cancel");
    const retry = cancelAsked ? ({ retry: false } as const) : retryDecision(entry.task, verdict);
    if (retry.retry) retryLater(ctx, entry, retry);
    else await finishRan(ctx, entry, verdict);
    if (cancelled) unlinkIfPresent(controlFile(ctx.paths, entry.task.id, "cancel"));
  }
}

/**
 * Whether the attempt asked to be requeued itself (scontrol requeue): one that exits before the runner's next look
 * at control/ goes back all the same. A request that cannot be read is left to that look.
 */
function askedToRequeue(paths: LeasePaths, task: Task): boolean {
  try {
    return readControl(paths, task.id, "requeue")?.byAttempt === task.attempt;
  } catch {
    return false;
  }
}

function noteLeftovers(ctx: TaskContext, entry: RunningTask, leftovers: Kill): void {
  const note = leftoversNote(leftovers);
  ctx.opts.log(`task ${entry.task.id} attempt ${entry.task.attempt}: ${note}`);
  try {
    appendFileSync(taskLogFile(ctx.paths, entry.task.id, entry.task.attempt, "err"), `${note}\n`, { mode: 0o600 });
  } catch (error) {
    ctx.opts.log(`task ${entry.task.id}: could not write to its .err log: ${String(error)}`);
  }
}

/** Slurm signals the runner and its tasks at the same moment; the runner may hear of it a little later. */
const JOB_END_NOTICE_MS = 1500;

/**
 * A task of a Slurm segment killed by a signal may have died with its job (scancel, time limit, preemption,
 * which signal every process of the step): before calling it failed, give the runner's own SIGTERM the time
 * to arrive and mark it interrupted (jobEnding), so that it goes back to the inbox instead. A shell whose
 * child was killed exits normally with 128 + the signal's number, so such a status counts as a signal too.
 */
async function noticeJobEnd(ctx: TaskContext, entry: RunningTask, end: TaskEnd): Promise<void> {
  if (ctx.opts.segmentEndsAt === undefined || entry.stop !== undefined) return;
  if (end.kind !== "exited" || (end.signal === null && !((end.exitCode ?? 0) > 128))) return;
  const deadline = Date.now() + JOB_END_NOTICE_MS;
  while (entry.stop === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function finishRan(ctx: TaskContext, entry: RunningTask, verdict: EndVerdict): Promise<void> {
  await finishClaimAsync(ctx.paths, entry.claimFile, entry.task, {
    ...verdict,
    startedAt: entry.startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    runner: ctx.runner,
    host: ctx.host,
    gpus: entry.gpus,
    usage: entry.usage,
  });
  recordFinished(ctx, entry.task, { ...verdict, usage: entry.usage });
}

function finishUnstarted(
  ctx: TaskContext,
  claimed: Pick<RunningTask, "key" | "task" | "claimFile">,
  verdict: EndVerdict,
): void {
  finishClaim(ctx.paths, claimed.claimFile, claimed.task, {
    ...verdict,
    startedAt: null,
    endedAt: new Date().toISOString(),
    runner: ctx.runner,
    host: ctx.host,
    gpus: [],
  });
  recordFinished(ctx, claimed.task, verdict);
}

function recordFinished(ctx: TaskContext, task: Task, verdict: EndVerdict & { usage?: Usage }): void {
  ctx.stats.finished++;
  const detail = verdictDetail(verdict);
  ctx.emit({ type: "finished", task: task.id, attempt: task.attempt, detail, usage: verdict.usage });
  ctx.opts.log(`task ${task.id} attempt ${task.attempt}: ${detail}`);
  ctx.ended?.(task.id);
}

/** A failed attempt the task's --retry covers: back to the inbox as the next attempt, after its backoff. */
function retryLater(ctx: TaskContext, entry: RunningTask, retry: { delayMs: number; reason: string }): void {
  const { task } = entry;
  const now = new Date();
  const notBefore = new Date(now.getTime() + retry.delayMs).toISOString();
  const note = { reason: retry.reason, notBefore };
  const result = requeueClaim(
    ctx.paths,
    entry.claimFile,
    task,
    "retry",
    { host: ctx.host, runner: ctx.runner, now },
    note,
  );
  if (!result.requeued) return;
  ctx.stats.requeued++;
  const detail = `${retry.reason}; next attempt ${result.task.attempt} not before ${notBefore}`;
  ctx.emit({ type: "requeued", task: task.id, attempt: task.attempt, detail, usage: entry.usage });
  ctx.opts.log(`task ${task.id} attempt ${task.attempt}: ${detail}`);
}

/** Back to the inbox with attempt + 1 and no crash counted: rv interrupted it, the task did nothing wrong. */
function requeue(
  ctx: TaskContext,
  claimed: Pick<RunningTask, "task" | "claimFile" | "usage">,
  why: Interruption,
): void {
  const { task } = claimed;
  const result = requeueClaim(
    ctx.paths,
    claimed.claimFile,
    task,
    "interrupted",
    { host: ctx.host, runner: ctx.runner, now: new Date() },
    why,
  );
  if (result.requeued) {
    ctx.stats.requeued++;
    ctx.emit({
      type: "requeued",
      task: task.id,
      attempt: task.attempt,
      detail: `${why.reason}; next attempt ${result.task.attempt}${why.resume ? " (RV_RESUME=1)" : ""}`,
      usage: claimed.usage,
    });
    ctx.opts.log(`task ${task.id} attempt ${task.attempt}: requeued (${why.reason})`);
  } else {
    recordFinished(ctx, task, { state: "failed", exitCode: null, signal: null, reason: result.done.reason });
  }
}

/** The heartbeat's view of what runs here. */
export function runningEntries(running: Map<string, RunningTask>): RunningEntry[] {
  const entries: RunningEntry[] = [];
  for (const entry of running.values()) {
    if (entry.pid === undefined) continue;
    entries.push({
      task: entry.task.id,
      key: entry.key,
      attempt: entry.task.attempt,
      pid: entry.pid,
      gpus: entry.gpus,
      cpus: entry.cpus,
      startedAt: entry.startedAt.toISOString(),
      usage: entry.usage,
    });
  }
  return entries;
}
