import { closeSync, existsSync, type FSWatcher, openSync, readSync, statSync, watch } from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { claimFile, type Lease, type LeasePaths, leasePaths, recordFile, taskLogFile } from "../fsqueue/index.ts";
import {
  isLiveRunner,
  isQueued,
  isTerminal,
  type RunnerView,
  readRunnerViews,
  readTaskView,
  type TaskView,
} from "../lease/state.ts";
import { readLease } from "../lease/store.ts";
import { plural } from "../plural.ts";
import { Waker } from "../runner/wake.ts";
import { observerFor } from "./observer.ts";
import type { OpEnv } from "./op.ts";
import { pause } from "./pause.ts";
import type { TaskRef } from "./refs.ts";

const POLL_MS = 100;
/**
 * The slowest poll of a wait on a few tasks: where no file events come (a network filesystem), a task's end is seen
 * this late. A wait on many polls less often (budgetedMs).
 */
const POLL_MAX_MS = 250;
/** The least time between two looks of a wait woken by arriving records. */
const GATHER_MS = 10;
/** How often a wait asks whether its pending tasks can still start: a look at lease.json and the heartbeats. */
const CAN_START_EVERY_MS = 1000;
/** The most files a wait's polls look at a second: its records' polls, and its can-start checks. */
const RECORD_LOOKS_PER_SECOND = 200;
const CAN_START_LOOKS_PER_SECOND = 100;

/**
 * The time between two polls that look at one file of each of `open` tasks: `leastMs`, or longer, so that no more
 * than `perSecond` files are looked at a second. On a network filesystem each look is a round trip to its metadata
 * server, which everyone on the login node shares: a wait on a sweep of 2,000 tasks looked at ~5,000 files a second;
 * now it polls every 10 s at first, and faster as its tasks end (the last few every 250 ms). Where the filesystem
 * tells of new files (a local disk), a record's arrival wakes the wait at once anyway.
 */
export function budgetedMs(open: number, leastMs: number, perSecond: number): number {
  return Math.max(leastMs, Math.ceil((open * 1000) / perSecond));
}

export function currentView(env: OpEnv, ref: TaskRef, p = leasePaths(env.root, ref.lease)): TaskView | undefined {
  return readTaskView(p, ref.id, observerFor(env));
}

/**
 * Why a pending task can never start where it is, or null while it may: its lease was released (no runner will
 * claim it), or it asks for more GPUs or CPUs than one runner of the lease has (a Slurm lease's node shape, a local
 * lease's live runners or its fixed GPU ids). A lease whose size is not known yet says nothing.
 */
export function cannotStart(view: TaskView, lease: Lease | undefined, runners: readonly RunnerView[]): string | null {
  if (!isQueued(view.state) || !lease) return null;
  if (lease.state === "released") {
    const again = lease.kind === "local" ? `rv lease up --local --name ${lease.id}` : "rv lease up (a new lease)";
    return `lease ${lease.id} was released: nothing will start task ${view.id} (start a lease again: ${again})`;
  }
  const size = leaseSize(lease, runners);
  if (size.gpus !== null && view.gpus > size.gpus) {
    return `task ${view.id} asks for ${plural(view.gpus, "GPU")}, but a runner of lease ${lease.id} has at most ${size.gpus}`;
  }
  if (size.cpus !== null && view.cpus > size.cpus) {
    return `task ${view.id} asks for ${plural(view.cpus, "CPU")}, but a runner of lease ${lease.id} has at most ${size.cpus}`;
  }
  return null;
}

function leaseSize(lease: Lease, runners: readonly RunnerView[]): { gpus: number | null; cpus: number | null } {
  if (lease.kind === "slurm") return { gpus: lease.request.gpusPerNode, cpus: lease.request.cpusPerNode };
  const live = runners.filter(isLiveRunner);
  if (live.length > 0) {
    return { gpus: Math.max(...live.map((r) => r.gpus.length)), cpus: Math.max(...live.map((r) => r.cpus)) };
  }
  return { gpus: lease.gpuIds?.length ?? null, cpus: lease.cpus ?? null };
}

export interface Waited {
  views: (TaskView | undefined)[];
  timedOut: boolean;
  /** The caller stopped listening before every task ended. */
  stopped: boolean;
  /** Unfinished tasks that can never start, and why: the wait ended because nothing else was left. */
  cannotStart: { id: string; why: string }[];
}

/**
 * Polls until every task is terminal, the deadline passes, the caller hangs up, or every unfinished task is one
 * that can never start. A task can only have ended once its `done/` record exists, so each poll stats just that
 * record of each unfinished task, and reads the task only once it exists: waiting on thousands of tasks costs a
 * stat each, not a full read. Where the filesystem tells of new files (a local disk), a done record's arrival wakes
 * the wait at once and only that task is read: the wait ends as its last task does, not up to a poll later; the
 * polls go on beside, for a network filesystem, which tells nothing of other machines' writes (every 250 ms, less
 * often for many tasks: budgetedMs). Once a second (likewise) a second stat tells whether each unfinished task is
 * still where its view has it (outdated); only one that moved is read again, and the views as they stand say whether
 * every one left can never start (what that needs of a task, its GPUs and CPUs, does not change while it waits).
 * `onViews` is shown the views then, and whenever a task ends (a progress line). `seen[i]`, when given, is `refs[i]`
 * as just read: it is not read again.
 */
export async function waitForTasks(
  env: OpEnv,
  refs: TaskRef[],
  options: {
    timeoutMs?: number;
    onViews?: (views: readonly (TaskView | undefined)[]) => void;
    seen?: readonly (TaskView | undefined)[];
  } = {},
): Promise<Waited> {
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : Date.now() + options.timeoutMs;
  const pathsOf = leasePathsOf(env);
  const views = options.seen ? [...options.seen] : refs.map((ref) => currentView(env, ref));
  const reread = (i: number) => {
    const ref = refs[i] as TaskRef;
    // The lease's paths made once: a wait reads thousands of views, and each leasePaths joins twenty of them.
    views[i] = currentView(env, ref, pathsOf(ref.lease));
    return views[i];
  };
  const hasRecord = (i: number) => {
    const ref = refs[i] as TaskRef;
    return existsSync(recordFile(pathsOf(ref.lease).done, ref.id));
  };
  const open = new Set(refs.map((_, i) => i).filter((i) => !hasEnded(views[i])));
  const endedOf = (candidates: Iterable<number>) => {
    let ended = false;
    for (const i of candidates) {
      if (open.has(i) && hasRecord(i) && hasEnded(reread(i))) ended = open.delete(i);
    }
    return ended;
  };
  const waker = new Waker();
  const recorded = watchDoneRecords(refs, open, pathsOf, waker);
  const wakeOnStop = () => waker.wake();
  env.signal.addEventListener("abort", wakeOnStop);
  let delay = 20;
  let nextPoll = Date.now() + delay;
  let lastCheck = 0;
  let lastLook = 0;
  try {
    while (open.size > 0) {
      if (Date.now() - lastCheck >= budgetedMs(open.size, CAN_START_EVERY_MS, CAN_START_LOOKS_PER_SECOND)) {
        lastCheck = Date.now();
        for (const i of open) {
          if (outdated(pathsOf((refs[i] as TaskRef).lease), views[i] as TaskView)) reread(i);
        }
        options.onViews?.(views);
        for (const i of open) if (hasEnded(views[i])) open.delete(i);
        if (open.size === 0) break;
        const left = [...open];
        const stuck = stuckTasks(
          env,
          left.map((i) => refs[i] as TaskRef),
          left.map((i) => views[i]),
        );
        if (stuck.length === open.size) return { views, timedOut: false, stopped: false, cannotStart: stuck };
      }
      if (Date.now() >= deadline || env.signal.aborted) {
        for (const i of open) reread(i);
        return { views, timedOut: !env.signal.aborted, stopped: env.signal.aborted, cannotStart: [] };
      }
      await waker.wait(Math.max(0, Math.min(nextPoll, deadline) - Date.now()));
      // Records arrive in bursts (a runner ends hundreds of tasks a second): a look at most every few ms takes
      // them together, as a look a record would cost more than the records themselves.
      await pause(Math.max(0, lastLook + GATHER_MS - Date.now()), env.signal);
      lastLook = Date.now();
      // Each open task when a poll is due; else only those whose records were seen to arrive (a wake costs O(1)).
      const arrived = recorded.take();
      const polling = Date.now() >= nextPoll;
      if (polling) {
        delay = Math.min(delay * 2, budgetedMs(open.size, POLL_MAX_MS, RECORD_LOOKS_PER_SECOND));
        nextPoll = Date.now() + delay;
      }
      if (endedOf(polling ? open : arrived)) options.onViews?.(views);
    }
    return { views, timedOut: false, stopped: false, cannotStart: [] };
  } finally {
    env.signal.removeEventListener("abort", wakeOnStop);
    recorded.close();
  }
}

/**
 * Watches the `done/` directory of each lease the wait is on, where the filesystem can (a network filesystem may
 * refuse or stay silent: the polls do the work there). `take()` hands over the tasks whose records arrived since
 * the last take, as indexes into `refs`.
 */
function watchDoneRecords(
  refs: readonly TaskRef[],
  open: ReadonlySet<number>,
  pathsOf: (lease: string) => LeasePaths,
  waker: Waker,
): { take: () => Set<number>; close: () => void } {
  const byLease = new Map<string, Map<string, number>>();
  for (const i of open) {
    const ref = refs[i] as TaskRef;
    const ids = byLease.get(ref.lease) ?? new Map<string, number>();
    ids.set(`${ref.id}.json`, i);
    byLease.set(ref.lease, ids);
  }
  let arrived = new Set<number>();
  const watchers: FSWatcher[] = [];
  for (const [lease, ids] of byLease) {
    try {
      const watcher = watch(pathsOf(lease).done, (_event, name) => {
        const i = name === null ? undefined : ids.get(name);
        if (i === undefined) return;
        arrived.add(i);
        waker.wake();
      });
      watcher.on("error", () => watcher.close());
      watchers.push(watcher);
    } catch {
      // No watcher here (no done/ yet, no inotify left, a filesystem that has none): the polls see the records.
    }
  }
  return {
    take: () => {
      const taken = arrived;
      arrived = new Set();
      return taken;
    },
    close: () => {
      for (const watcher of watchers) watcher.close();
    },
  };
}

/**
 * Whether an unfinished task's view may be out of date: the task is no longer where the view has it (a queued one
 * in the inbox, a running or lost one in its runner's claims), or it waits for dependencies, which may have failed
 * meanwhile (it has then ended with no done/ record of its own until a runner records it).
 */
function outdated(p: LeasePaths, view: TaskView): boolean {
  if (isQueued(view.state)) return view.after.length > 0 || !existsSync(recordFile(p.inbox, view.id));
  return view.runner === null || !existsSync(claimFile(p, view.runner, view.id));
}

/** leasePaths, made once a lease: a poll looks up the paths of every unfinished task. */
function leasePathsOf(env: OpEnv): (lease: string) => LeasePaths {
  const known = new Map<string, LeasePaths>();
  return (lease) => {
    let p = known.get(lease);
    if (!p) {
      p = leasePaths(env.root, lease);
      known.set(lease, p);
    }
    return p;
  };
}

/** `seen[i]`, when given, is `refs[i]` as just read: it is not read again. */
function stuckTasks(env: OpEnv, refs: TaskRef[], seen?: (TaskView | undefined)[]): { id: string; why: string }[] {
  const leases = new Map<string, { lease: Lease | undefined; runners: RunnerView[] }>();
  const leaseOf = (id: string) => {
    let known = leases.get(id);
    if (!known) {
      known = { lease: readLease(env.root, id), runners: readRunnerViews(leasePaths(env.root, id), observerFor(env)) };
      leases.set(id, known);
    }
    return known;
  };
  return refs.flatMap((ref, i) => {
    const view = seen ? seen[i] : currentView(env, ref);
    const { lease, runners } = leaseOf(ref.lease);
    const why = view ? cannotStart(view, lease, runners) : null;
    return why ? [{ id: ref.id, why }] : [];
  });
}

function hasEnded(view: TaskView | undefined): boolean {
  return view === undefined || isTerminal(view.state);
}

/** Reads the bytes appended to a file since `offset`. */
function readFrom(file: string, offset: number): { bytes: Buffer; offset: number } {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return { bytes: Buffer.alloc(0), offset };
  }
  if (size <= offset) return { bytes: Buffer.alloc(0), offset };
  const fd = openSync(file, "r");
  try {
    const buffer = Buffer.alloc(size - offset);
    const n = readSync(fd, buffer, 0, buffer.length, offset);
    return { bytes: buffer.subarray(0, n), offset: offset + n };
  } finally {
    closeSync(fd);
  }
}

/** Where following starts in the attempt that runs now: its first byte, or a byte offset in each stream. */
export type FollowFrom = { attempt: number; offsets: { out: number; err: number } } | "start";

/**
 * Streams a task's stdout and stderr (those asked for) to the sink as they grow, attempt after attempt, until it
 * ends or the caller stops listening; a task that has not started yet is followed from its first line. Stopping
 * only stops the following: the task runs on; a task that can never start ends it, as it ends a wait. `allToOut`:
 * the one stream asked for goes to the sink's `out`.
 */
export async function followTask(
  env: OpEnv,
  ref: TaskRef,
  options: {
    streams: ("out" | "err")[];
    from: FollowFrom;
    allToOut?: boolean;
    /** Where the following has got after each read that moved it: a caller that loses the stream resumes there. */
    onRead?: (at: { attempt: number; offsets: { out: number; err: number } }) => void;
  },
): Promise<Pick<Waited, "views" | "cannotStart">> {
  const p = leasePaths(env.root, ref.lease);
  let attempt = options.from === "start" ? 0 : options.from.attempt;
  const offsets = options.from === "start" ? { out: 0, err: 0 } : { ...options.from.offsets };
  const write = { out: env.sink.out, err: options.allToOut ? env.sink.out : env.sink.err };
  // One decoder a stream: a character split across two reads comes out whole.
  const decoders = { out: new StringDecoder("utf8"), err: new StringDecoder("utf8") };
  const drain = () => {
    let moved = false;
    for (const stream of options.streams) {
      const chunk = readFrom(taskLogFile(p, ref.id, attempt, stream), offsets[stream]);
      moved ||= chunk.offset !== offsets[stream];
      offsets[stream] = chunk.offset;
      const text = decoders[stream].write(chunk.bytes);
      if (text) write[stream](text);
    }
    if (moved) options.onRead?.({ attempt, offsets: { ...offsets } });
  };
  let lastCheck = 0;
  for (;;) {
    const view = currentView(env, ref);
    if (view && view.attempt !== attempt && !isQueued(view.state)) {
      if (attempt !== 0) {
        drain(); // the end of the attempt that was requeued: often its traceback
        for (const stream of options.streams) {
          const rest = decoders[stream].end();
          if (rest) write[stream](rest);
        }
        env.sink.note(`task ${ref.id} restarted as attempt ${view.attempt}`);
      }
      attempt = view.attempt;
      offsets.out = 0;
      offsets.err = 0;
    }
    if (attempt > 0) drain();
    if (!view || isTerminal(view.state) || env.signal.aborted) return { views: [view], cannotStart: [] };
    if (isQueued(view.state) && Date.now() - lastCheck >= CAN_START_EVERY_MS) {
      lastCheck = Date.now();
      const stuck = stuckTasks(env, [ref]);
      if (stuck.length > 0) return { views: [view], cannotStart: stuck };
    }
    await pause(POLL_MS, env.signal);
  }
}
