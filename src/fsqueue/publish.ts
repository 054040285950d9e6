import { type LeasePaths, recordFile } from "./paths.ts";
import { writeRecordAtomic } from "./records.ts";
import type { Task } from "./schema.ts";

/**
 * The key orders dispatch. Task ids already sort by submit time; a requeued task keeps its key and
 * so its place in line.
 */
export function taskKey(task: Pick<Task, "id">): string {
  return task.id;
}

/** Invariant 1: the rename into `inbox/` is the moment the task exists. */
export function publishTask(p: LeasePaths, task: Task): string {
  const key = taskKey(task);
  writeRecordAtomic(p.tmp, recordFile(p.inbox, key), task);
  return key;
}
