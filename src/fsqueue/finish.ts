import { unlinkSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { taskKey } from "./ids.ts";
import { type LeasePaths, recordFile, secretsFile } from "./paths.ts";
import { writeRecordAtomic } from "./records.ts";
import { type Done, PROTOCOL_VERSION, type Task, type TerminalState, type Usage } from "./schema.ts";
import { stageFile } from "./staging.ts";

export interface Outcome {
  state: TerminalState;
  exitCode: number | null;
  signal: string | null;
  reason?: string;
  depFailed?: string;
  startedAt: string | null;
  endedAt: string;
  runner: string | null;
  host: string;
  gpus: string[];
  usage?: Usage;
}

export function doneRecord(task: Task, outcome: Outcome): Done {
  return { v: PROTOCOL_VERSION, task, ...outcome };
}

/**
 * Invariant 3: the `done/` record is durable before the claim disappears; a reader seeing both trusts `done/`.
 * Every end of a task comes through here (ran, cancelled, dep_failed, lost too often), so here its secrets go.
 */
export function finishClaim(p: LeasePaths, claimPath: string, task: Task, outcome: Outcome): Done {
  const record = doneRecord(task, outcome);
  writeRecordAtomic(p.tmp, recordFile(p.done, task.id), record);
  unlinkIfPresent(claimPath);
  unlinkIfPresent(secretsFile(p, task.id));
  return record;
}

/**
 * finishClaim for a runner, which goes on meanwhile: the record is written in `tmp/` at once, its fsync (a disk
 * flush) runs on a worker thread while the runner starts its next task, and only then is it renamed into `done/`
 * and the claim unlinked. Invariant 3 is the same: the claim goes only once the `done/` record is durable.
 */
export async function finishClaimAsync(p: LeasePaths, claimPath: string, task: Task, outcome: Outcome): Promise<Done> {
  const record = doneRecord(task, outcome);
  const staged = stageFile(p.tmp, recordFile(p.done, task.id), `${JSON.stringify(record)}\n`, false);
  try {
    await fsyncOffThread(staged.staging);
  } catch (error) {
    unlinkIfPresent(staged.staging);
    throw error;
  }
  // The rest on the thread pool too: a metadata change may wait its turn in the filesystem's journal.
  await rename(staged.staging, staged.target);
  await unlinkOffThread(claimPath);
  await unlinkOffThread(secretsFile(p, task.id));
  return record;
}

/** Write step 3's fsync on the thread pool; the file is written and closed, and an fsync of any descriptor syncs it. */
async function fsyncOffThread(file: string): Promise<void> {
  const handle = await open(file, "r");
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** unlinkIfPresent on the thread pool. */
async function unlinkOffThread(file: string): Promise<void> {
  try {
    await unlink(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/**
 * Why a task goes back: its runner was lost (a crash, counted), rv interrupted it (free), its `--retry` covers
 * the failure (a retry, counted against its own limit), or a person asked (`rv requeue`: it starts afresh, with
 * no crash or retry counted).
 */
export type RequeueCause = "crash" | "interrupted" | "retry" | "asked";

/** What the next attempt is told about why it runs again. */
export interface RequeueNote {
  /** Kept in the requeued record as `requeueReason`. */
  reason?: string;
  /** The next attempt may resume from a checkpoint (RV_RESUME=1): rv interrupted this one at a segment end. */
  resume?: boolean;
  /** The next attempt does not start before this time (a retry's backoff). */
  notBefore?: string;
}

/** The record of the next attempt: a note left by an earlier requeue does not carry over to this one. */
export function nextAttempt(task: Task, cause: RequeueCause, note: RequeueNote = {}): Task {
  const { requeueReason: _reason, resume: _resume, notBefore: _wait, retried, ...rest } = task;
  const retriedNow = cause === "retry" ? (retried ?? 0) + 1 : cause === "asked" ? undefined : retried;
  return {
    ...rest,
    attempt: task.attempt + 1,
    crashes: cause === "asked" ? 0 : task.crashes + (cause === "crash" ? 1 : 0),
    ...(retriedNow !== undefined && { retried: retriedNow }),
    ...(note.reason !== undefined && { requeueReason: note.reason }),
    ...(note.resume === true && { resume: true }),
    ...(note.notBefore !== undefined && { notBefore: note.notBefore }),
  };
}

/**
 * Invariant 6: a task goes back to the inbox under its old key with `attempt + 1`. Interruptions by rv
 * itself (drain, release) are free; a crash counts, and the crash limit turns the task into `failed`
 * instead of looping forever.
 */
export function requeueClaim(
  p: LeasePaths,
  claimPath: string,
  task: Task,
  cause: RequeueCause,
  context: { host: string; runner: string | null; now: Date },
  note: RequeueNote = {},
): { requeued: true; task: Task } | { requeued: false; done: Done } {
  const next = nextAttempt(task, cause, note);
  if (next.crashes >= task.maxCrashes) {
    // The record keeps the attempt that was lost: the next one never ran.
    const done = finishClaim(
      p,
      claimPath,
      { ...task, crashes: next.crashes },
      {
        state: "failed",
        exitCode: null,
        signal: null,
        reason: `its runner was lost ${next.crashes} times (crash limit ${task.maxCrashes})`,
        startedAt: null,
        endedAt: context.now.toISOString(),
        runner: context.runner,
        host: context.host,
        gpus: [],
      },
    );
    return { requeued: false, done };
  }
  writeRecordAtomic(p.tmp, recordFile(p.inbox, taskKey(task)), next);
  unlinkIfPresent(claimPath);
  return { requeued: true, task: next };
}

/**
 * A claim given back as it was (same attempt): the runner claimed a task it may not start yet (its facts were
 * older than the record, e.g. a retry's backoff it had not seen on a network filesystem).
 */
export function returnClaim(p: LeasePaths, claimPath: string, task: Task): void {
  writeRecordAtomic(p.tmp, recordFile(p.inbox, taskKey(task)), task);
  unlinkIfPresent(claimPath);
}

export function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
