import { existsSync } from "node:fs";
import { join } from "node:path";
import { jitAsUsual } from "../jit.ts";
import { readDone } from "./done-index.ts";
import {
  type DoneIndexLine,
  type DoneSummary,
  lineId,
  type TaskSummary,
  type UnreadableDone,
} from "./done-index-format.ts";
import { readDoneOne, readDoneRecord } from "./done-record.ts";
import { readHeartbeats } from "./heartbeat.ts";
import { listEntries, listRecordKeys } from "./layout.ts";
import { claimFile, type LeasePaths, recordFile, takeoverFile } from "./paths.ts";
import { tryReadRecord } from "./records.ts";
import { type Done, type Heartbeat, type Task, TaskSchema } from "./schema.ts";
import { doneCopy, newer, type TaskCopy } from "./task-copy.ts";

export interface PendingEntry {
  key: string;
  task: Task;
}
export interface ClaimedEntry {
  owner: string;
  key: string;
  task: Task;
}
export interface BadEntry {
  file: string;
  why: string;
}

/** Everything a reader can know about a lease's queue, read without taking any lock. */
export interface QueueSnapshot {
  pending: PendingEntry[];
  claimed: ClaimedEntry[];
  done: Done[];
  /** Done records that do not parse, left in place (their tasks are `unknown` to readers). */
  unreadableDone: UnreadableDone[];
  heartbeats: Heartbeat[];
  bad: string[];
}

export function readPending(p: LeasePaths): PendingEntry[] {
  const pending: PendingEntry[] = [];
  for (const key of listRecordKeys(p.inbox)) {
    const parsed = tryReadRecord(recordFile(p.inbox, key), TaskSchema);
    if (parsed?.ok) pending.push({ key, task: parsed.value });
  }
  return pending;
}

export function readClaimed(p: LeasePaths): ClaimedEntry[] {
  const claimed: ClaimedEntry[] = [];
  for (const owner of listEntries(p.claimed)) {
    for (const key of listRecordKeys(join(p.claimed, owner))) {
      const parsed = tryReadRecord(recordFile(join(p.claimed, owner), key), TaskSchema);
      if (parsed?.ok) claimed.push({ owner, key, task: parsed.value });
    }
  }
  return claimed;
}

/** Every done/ record, read one file each: the truth the done index is built from. */
export function scanDone(p: LeasePaths): { done: Done[]; unreadable: UnreadableDone[] } {
  const done: Done[] = [];
  const unreadable: UnreadableDone[] = [];
  for (const id of listRecordKeys(p.done)) {
    const read = readDoneRecord(p, id);
    if (read?.ok) done.push(read.done);
    else if (read) unreadable.push(read.unreadable);
  }
  return { done, unreadable };
}

/** Whether the task has a copy waiting or claimed (taken over included): it is under way, whatever done/ says. */
export function pendingOrClaimed(p: LeasePaths, id: string): boolean {
  if (existsSync(recordFile(p.inbox, id))) return true;
  return listEntries(p.claimed).some(
    (owner) => existsSync(claimFile(p, owner, id)) || existsSync(takeoverFile(p, owner, id)),
  );
}

export function listBad(p: LeasePaths): string[] {
  return listEntries(p.bad).filter((name) => !name.endsWith(".why"));
}

export function readSnapshot(p: LeasePaths): QueueSnapshot {
  // Read in the order a task usually moves (inbox -> claimed -> done), so a task caught moving is seen
  // twice (latestState keeps the newest copy) rather than missed. A requeue moves it back (claimed ->
  // inbox) and a takeover hides it (`.recovering`), so a snapshot can miss a task for that instant.
  const pending = readPending(p);
  const claimed = readClaimed(p);
  const { done, unreadable } = scanDone(p);
  return { pending, claimed, done, unreadableDone: unreadable, heartbeats: readHeartbeats(p), bad: listBad(p) };
}

/**
 * One view per task id, from a snapshot that may see a task in two places at once. A copy with a
 * higher attempt is newer; for the same attempt `done/` beats a claim (invariant 3: a crash between
 * writing `done/` and removing the claim leaves both) and a claim beats an inbox copy (it was claimed
 * between the two listings). A requeued task's new inbox copy beats its old `done/` record.
 */
export function latestState<D extends DoneSummary = Done>(s: {
  pending: PendingEntry[];
  claimed: ClaimedEntry[];
  done: D[];
}): Map<string, TaskCopy<D>> {
  const views: TaskCopy<D>[] = [
    ...s.pending.map((e): TaskCopy<D> => ({ state: "pending", task: e.task, key: e.key })),
    ...s.claimed.map((e): TaskCopy<D> => ({ state: "claimed", task: e.task, key: e.key, owner: e.owner })),
    ...s.done.map((d) => doneCopy(d)),
  ];
  const latest = new Map<string, TaskCopy<D>>();
  for (const view of views) {
    const seen = latest.get(view.task.id);
    if (!seen || newer(view, seen)) latest.set(view.task.id, view);
  }
  return latest;
}

/**
 * done/ as its index has it (readDone), merged in id order with the tasks waiting or claimed: each task once, by its
 * newest copy. `moving` is sorted by id and holds one item for every task of `copies`. A done record stands for its
 * task over a copy waiting or claimed only when it is newer (latestState's rule); one that does not parse never does:
 * the task is under way again, whatever done/ says.
 */
export function* mergeDone<T extends { id: string }>(
  moving: readonly T[],
  copies: ReadonlyMap<string, TaskCopy>,
  lines: Iterable<DoneIndexLine>,
): Generator<{ moving: T } | { line: DoneIndexLine }> {
  let next = 0;
  for (const line of lines) {
    const id = lineId(line);
    while ((moving[next]?.id ?? id) < id) yield { moving: moving[next++] as T };
    const copy = copies.get(id);
    if (copy) {
      next++;
      const done = "done" in line ? line.done : undefined;
      if (!done || !newer(doneCopy(done), copy)) {
        yield { moving: moving[next - 1] as T };
        continue;
      }
    }
    yield { line };
  }
  for (; next < moving.length; next++) yield { moving: moving[next] as T };
}

/** A task as references name it: by id, name or tag (`--after`, `rv logs NAME`). */
export type TaskName = Pick<TaskSummary, "id" | "name" | "tags">;

/**
 * Every task of the lease as references name it, in id order, each by its newest copy: the few waiting or claimed
 * read whole, done/ from its index, one file rather than one per task (a history of 100,000 tasks; work that goes on,
 * so it compiles as usual). A done record that does not parse still names its task by id, and by name when that much
 * of it reads.
 */
export function* readTaskNames(p: LeasePaths): Generator<TaskName> {
  jitAsUsual();
  for (const item of newestCopies(p)) {
    const task: TaskName =
      "moving" in item
        ? item.moving.task
        : "done" in item.line
          ? item.line.done.task
          : (item.line.unreadable.task ?? { id: item.line.unreadable.id, tags: [] });
    yield { id: task.id, ...(task.name !== undefined && { name: task.name }), tags: task.tags };
  }
}

/**
 * The lease's tasks that `pick` keeps, each by its newest copy, whole: the few waiting or claimed read whole, done/
 * judged from its index line and only the records picked read, so a history of 100,000 tasks is not read to find a
 * few. `pick` sees a done task as its index line has it (no env, no usage), then once more as its record has it.
 */
export function readPickedCopies(p: LeasePaths, pick: (copy: TaskCopy<DoneSummary>) => boolean): TaskCopy[] {
  const picked: TaskCopy[] = [];
  for (const item of newestCopies(p)) {
    if ("moving" in item) {
      if (pick(item.moving)) picked.push(item.moving);
      continue;
    }
    // A done record that does not parse is no task's copy to pick, as in readSnapshot.
    if (!("done" in item.line) || !pick(doneCopy(item.line.done))) continue;
    const done = readDoneOne(p, lineId(item.line));
    const copy = done && doneCopy(done);
    if (copy && pick(copy)) picked.push(copy);
  }
  return picked;
}

/** The lease's tasks in id order, each by its newest copy: one waiting or claimed whole, else its done index line. */
function* newestCopies(p: LeasePaths): Generator<{ moving: TaskCopy } | { line: DoneIndexLine }> {
  const copies = latestState({ pending: readPending(p), claimed: readClaimed(p), done: [] });
  const moving = [...copies.values()]
    .map((copy) => ({ id: copy.task.id, copy }))
    .sort((a, b) => (a.id < b.id ? -1 : 1));
  for (const item of mergeDone(moving, copies, readDone(p)))
    yield "moving" in item ? { moving: item.moving.copy } : item;
}
