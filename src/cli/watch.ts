import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { constants } from "node:os";
import type { Config } from "../config/index.ts";
import { leasePaths, recordFile, taskLogFile } from "../fsqueue/index.ts";
import { isTerminal, readTaskView, type TaskView } from "../lease/index.ts";
import type { Context } from "./context.ts";
import { observerFor } from "./leases.ts";
import type { TaskRef } from "./refs.ts";

const POLL_MS = 100;

export function currentView(ctx: Context, config: Config, ref: TaskRef): TaskView | undefined {
  return readTaskView(leasePaths(ctx.root, ref.lease), ref.id, observerFor(ctx, config));
}

/**
 * Polls until every task is terminal (or the deadline passes); returns the last view of each. A task can
 * only have ended once its `done/` record exists, so each poll reads just the tasks that have one: waiting
 * on thousands of tasks costs a stat each, not a full read.
 */
export async function waitForTasks(
  ctx: Context,
  config: Config,
  refs: TaskRef[],
  options: { timeoutMs?: number; stop?: AbortSignal } = {},
): Promise<{ views: (TaskView | undefined)[]; timedOut: boolean }> {
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  const views = refs.map((ref) => currentView(ctx, config, ref));
  let open = refs.map((_, i) => i).filter((i) => !hasEnded(views[i]));
  let delay = 20;
  while (open.length > 0) {
    if (Date.now() >= deadline || options.stop?.aborted) {
      for (const i of open) views[i] = currentView(ctx, config, refs[i] as TaskRef);
      return { views, timedOut: true };
    }
    await sleep(delay);
    delay = Math.min(delay * 2, 250);
    open = open.filter((i) => {
      const ref = refs[i] as TaskRef;
      if (!existsSync(recordFile(leasePaths(ctx.root, ref.lease).done, ref.id))) return true;
      views[i] = currentView(ctx, config, ref);
      return !hasEnded(views[i]);
    });
  }
  return { views, timedOut: false };
}

function hasEnded(view: TaskView | undefined): boolean {
  return view === undefined || isTerminal(view.state);
}

/** Reads what was appended to a file since `offset`. */
function readFrom(file: string, offset: number): { text: string; offset: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { text: "", offset };
  }
  if (size <= offset) return { text: "", offset };
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(size - offset);
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    return { text: buffer.subarray(0, n).toString("utf8"), offset: offset + n };
  } finally {
    closeSync(fd);
  }
}

/**
 * Streams a task's stdout and stderr as they grow, attempt after attempt, until it ends or `stop` fires.
 * Stopping only stops the following: the task runs on.
 */
export async function followTask(
  ctx: Context,
  config: Config,
  ref: TaskRef,
  options: { streams: ("out" | "err")[]; fromStart: boolean; stop?: AbortSignal },
): Promise<TaskView | undefined> {
  const p = leasePaths(ctx.root, ref.lease);
  let attempt = 0;
  const offsets = { out: 0, err: 0 };
  const write = { out: ctx.io.out, err: ctx.io.err };
  for (;;) {
    const view = currentView(ctx, config, ref);
    if (view && view.attempt !== attempt && view.state !== "pending") {
      if (attempt !== 0) ctx.io.err(`rv: task ${ref.id} restarted as attempt ${view.attempt}\n`);
      attempt = view.attempt;
      for (const stream of options.streams) {
        offsets[stream] = options.fromStart ? 0 : sizeOf(taskLogFile(p, ref.id, attempt, stream));
      }
      options.fromStart = true;
    }
    if (attempt > 0) {
      for (const stream of options.streams) {
        const chunk = readFrom(taskLogFile(p, ref.id, attempt, stream), offsets[stream]);
        offsets[stream] = chunk.offset;
        if (chunk.text) write[stream](chunk.text);
      }
    }
    if (!view || isTerminal(view.state) || options.stop?.aborted) return view;
    await sleep(POLL_MS);
  }
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The exit status a shell would give: the code, or 128 + signal number, or 1 for other failures. */
export function exitStatusOf(view: TaskView | undefined): number {
  if (!view) return 1;
  if (view.state === "succeeded") return 0;
  if (view.exitCode !== null) return view.exitCode;
  if (view.signal) {
    return 128 + (constants.signals[view.signal as NodeJS.Signals] ?? 0);
  }
  return 1;
}
