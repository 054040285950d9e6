import { unlinkSync } from "node:fs";
import { type LeasePaths, recordFile } from "./paths.ts";
import { taskKey } from "./publish.ts";
import { writeRecordAtomic } from "./records.ts";
import { type Done, PROTOCOL_VERSION, type Task, type TerminalState } from "./schema.ts";

export interface Outcome {
  state: TerminalState;
  exitCode: number | null;
  signal: string | null;
  reason?: string;
  startedAt: string | null;
  endedAt: string;
  runner: string | null;
  host: string;
  gpus: string[];
}

export function doneRecord(task: Task, outcome: Outcome): Done {
  return { v: PROTOCOL_VERSION, task, ...outcome };
}

/** Invariant 3: the `done/` record is durable before the claim disappears; a reader seeing both trusts `done/`. */
export function finishClaim(p: LeasePaths, claimPath: string, task: Task, outcome: Outcome): Done {
  const record = doneRecord(task, outcome);
  writeRecordAtomic(p.tmp, recordFile(p.done, task.id), record);
  unlinkIfPresent(claimPath);
  return record;
}

export type RequeueCause = "crash" | "interrupted";

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
): { requeued: true; task: Task } | { requeued: false; done: Done } {
  const next: Task = { ...task, attempt: task.attempt + 1, crashes: task.crashes + (cause === "crash" ? 1 : 0) };
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

export function unlinkIfPresent(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
