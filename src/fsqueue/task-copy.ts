import type { DoneSummary } from "./done-index-format.ts";
import type { Done, Task } from "./schema.ts";

/** A task as one place holds it: waiting, claimed, or done. `D`: a done record whole, or as the done index has it. */
export type TaskCopy<D extends DoneSummary = Done> =
  | { state: "pending"; task: Task; key: string }
  | { state: "claimed"; task: Task; key: string; owner: string }
  | { state: "done"; task: D["task"]; done: D };

/** A done record (whole, or as the done index has it) as its task's copy. */
export function doneCopy<D extends DoneSummary>(done: D): TaskCopy<D> {
  return { state: "done", task: done.task, done };
}

const rank = { pending: 0, claimed: 1, done: 2 } as const;

/**
 * Whether copy `a` of a task is newer than copy `b` (latestState's rule, and the done index's for two records of one
 * task): the higher attempt; for the same attempt `done/` over a claim over an inbox copy; of two alike, neither.
 */
export function newer(a: TaskCopy<DoneSummary>, b: TaskCopy<DoneSummary>): boolean {
  if (a.task.attempt !== b.task.attempt) return a.task.attempt > b.task.attempt;
  return rank[a.state] > rank[b.state];
}
