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

/**
 * Invariant 1: the link into `inbox/` is the moment the task exists. It never replaces a task already
 * there: "exists" tells the caller the key is taken (an id collision, or a task requeued twice).
 */
export function publishTask(p: LeasePaths, task: Task): "published" | "exists" {
  try {
    writeRecordAtomic(p.tmp, recordFile(p.inbox, taskKey(task)), task, true);
    return "published";
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return "exists";
    throw error;
  }
}
