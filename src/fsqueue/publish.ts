import { mkdirSync } from "node:fs";
import { release } from "node:os";
import { batchSync, fsyncPath, syncFilesystem } from "./durable.ts";
import { unlinkIfPresent } from "./finish.ts";
import { taskKey } from "./ids.ts";
import { type LeasePaths, recordFile, secretsFile } from "./paths.ts";
import type { Task } from "./schema.ts";
import type { TaskSecrets } from "./secrets.ts";
import { commitExclusive, type Staged, stageFile } from "./staging.ts";

/**
 * Invariant 1: the link into `inbox/` is the moment the task exists. It never replaces a task already
 * there: "exists" tells the caller the key is taken (an id collision, or a task requeued twice).
 */
export function publishTask(p: LeasePaths, task: Task): "published" | "exists" {
  return publishBatch(p, [task]) === 1 ? "published" : "exists";
}

/** A task of a batch, written whole in `tmp/`: its record, and its secrets file when it has secrets. */
interface StagedTask {
  record: Staged;
  secrets: Staged | undefined;
}

/**
 * Publish a batch (PROTOCOL.md): every task's record, and its secrets file (`rv env`) when `secrets` has any, is
 * written in `tmp/`; all are made durable (one syncfs for a large batch, durable.ts); then each task is linked
 * into `inbox/` in the order given, its secrets file just before it, so a runner that claims it finds them; and
 * `inbox/` (and `secrets/`) are fsynced once, so that the caller reports only tasks whose links are on disk too.
 * Returns how many were published: fewer than given when the id of `tasks[n]` is another task's, and then none
 * after it either (their staging files are removed): the caller draws it a new id and publishes it and the rest.
 */
export function publishBatch(p: LeasePaths, tasks: readonly Task[], secrets: TaskSecrets = {}): number {
  const secretsText = Object.keys(secrets).length > 0 ? `${JSON.stringify(secrets)}\n` : undefined;
  if (secretsText) mkdirSync(p.secrets, { recursive: true, mode: 0o700 });
  const sync = batchSync(tasks.length * (secretsText ? 2 : 1), process.platform, release());
  const stage = (target: string, content: string) => stageFile(p.tmp, target, content, sync === "each");
  const staged: StagedTask[] = [];
  let published = 0;
  try {
    for (const task of tasks) {
      staged.push({
        secrets: secretsText === undefined ? undefined : stage(secretsFile(p, task.id), secretsText),
        record: stage(recordFile(p.inbox, taskKey(task)), `${JSON.stringify(task)}\n`),
      });
    }
    if (sync === "filesystem")
      syncFilesystem(
        p.tmp,
        staged.flatMap(filesOf).map((file) => file.staging),
      );
    while (published < staged.length && commitTask(staged[published] as StagedTask)) published++;
  } finally {
    // What was not linked leaves nothing behind: a crash instead would leave it to the tmp/ sweep.
    for (const task of staged.slice(published)) for (const file of filesOf(task)) unlinkIfPresent(file.staging);
  }
  if (published > 0) fsyncPath(p.inbox);
  if (published > 0 && secretsText) fsyncPath(p.secrets);
  return published;
}

function filesOf(task: StagedTask): Staged[] {
  return task.secrets ? [task.secrets, task.record] : [task.record];
}

/** Links one task, its secrets first; false when its id is taken (the secrets file or the record exists). */
function commitTask(task: StagedTask): boolean {
  if (task.secrets && !committed(task.secrets)) return false;
  if (committed(task.record)) return true;
  // The id is another task's: the secrets file just linked is ours to take back, not that task's.
  if (task.secrets) unlinkIfPresent(task.secrets.target);
  return false;
}

function committed(file: Staged): boolean {
  try {
    commitExclusive(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}
