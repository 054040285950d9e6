import { existsSync } from "node:fs";
import { readArchivedOne } from "./archive.ts";
import { readDoneOne } from "./done-record.ts";
import { type LeasePaths, taskLogFile } from "./paths.ts";
import type { Task } from "./schema.ts";

/** What a claimed task is checked against beyond its schema: where it was claimed, and what its id already did. */
export interface AdmissionFacts {
  /** The lease whose inbox it was claimed from. */
  lease: string;
  /** The attempt recorded in its `done/` (or, once cleaned, `archive/`) record, if it has one. */
  finishedAttempt: number | undefined;
  /** Its attempt's log files exist: that attempt has started before. */
  attemptLogged: boolean;
}

/**
 * Why a valid record must not run, or `undefined` when it may: a task of another lease (a file copied into the
 * wrong inbox), or an attempt that already ran (a finished task's file put back by hand, which would run into that
 * attempt's logs and replace its done record). `rv requeue`, retries and recovery always put a task back as the
 * next attempt, which has neither a done record nor logs yet.
 */
export function refusalOf(task: Pick<Task, "id" | "lease" | "attempt">, facts: AdmissionFacts): string | undefined {
  if (task.lease !== facts.lease) {
    return `task ${task.id} belongs to lease ${task.lease}, not to this lease (${facts.lease}): submit it there`;
  }
  const again = `task ${task.id} attempt ${task.attempt} ran already`;
  if (facts.finishedAttempt !== undefined && task.attempt <= facts.finishedAttempt) {
    return `${again} (its done record is attempt ${facts.finishedAttempt}): rv requeue ${task.id} runs it again as a new attempt`;
  }
  if (facts.attemptLogged) return `${again} (its logs exist): rv requeue ${task.id} runs it again as a new attempt`;
  return undefined;
}

export function admissionFacts(p: LeasePaths, lease: string, task: Pick<Task, "id" | "attempt">): AdmissionFacts {
  const done = readDoneOne(p, task.id) ?? readArchivedOne(p, task.id);
  const logged = (["out", "err"] as const).some((stream) => existsSync(taskLogFile(p, task.id, task.attempt, stream)));
  return { lease, finishedAttempt: done?.task.attempt, attemptLogged: logged };
}

/** Why the task claimed from `lease`'s inbox must not run (`refusalOf`), read from the lease's files. */
export function admissionRefusal(p: LeasePaths, lease: string, task: Task): string | undefined {
  return refusalOf(task, admissionFacts(p, lease, task));
}
