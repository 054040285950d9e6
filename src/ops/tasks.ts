import { z } from "zod";
import { leasePaths } from "../fsqueue/index.ts";
import { readLeaseState, readTaskView, TaskStateSchema, type TaskView, TaskViewSchema } from "../lease/index.ts";
import { observerFor } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { taskIndex } from "./refs.ts";
import { leasesInScope } from "./summary.ts";

export const TasksInputSchema = z.object({
  lease: z.string().nullable().default(null),
  states: z.array(TaskStateSchema).nullable().default(null),
  /** A regular expression the task's name must match. */
  name: z.string().nullable().default(null),
  /** The newest N of those selected; 0 for all. */
  limit: z.number().int().min(0).default(20),
});
type TasksInput = z.output<typeof TasksInputSchema>;

/** `rv tasks`, `rv ps`: the tasks of the leases in scope, newest last, and how many were selected in all. */
export const tasksOp = defineOp({
  name: "tasks",
  input: TasksInputSchema,
  result: z.object({ tasks: z.array(TaskViewSchema), total: z.number().int() }),
  run(env, input) {
    const leases = leasesInScope(env, input.lease);
    const filtered = input.states !== null || input.name !== null;
    return filtered || input.limit === 0 ? readSelected(env, leases, input) : readNewest(env, leases, input.limit);
  },
});

/** Which tasks the filters select, newest last (the order people read a log in). */
export function selectTasks(tasks: TaskView[], filter: Pick<TasksInput, "states" | "name">): TaskView[] {
  const name = filter.name === null ? null : new RegExp(filter.name);
  return tasks.filter(
    (t) => (filter.states === null || filter.states.includes(t.state)) && (name === null || name.test(t.name ?? "")),
  );
}

/** Filters need every record. */
function readSelected(env: OpEnv, leases: string[], input: TasksInput): { tasks: TaskView[]; total: number } {
  const observer = observerFor(env);
  const all = leases.flatMap((lease) => readLeaseState(leasePaths(env.root, lease), observer).tasks);
  all.sort((a, b) => a.id.localeCompare(b.id));
  const shown = selectTasks(all, input);
  return { tasks: input.limit > 0 ? shown.slice(-input.limit) : shown, total: shown.length };
}

/**
 * The default view reads only the newest records: ids sort by submit time, so directory listings alone say which
 * tasks are newest and how many there are, however long the history.
 */
function readNewest(env: OpEnv, leases: string[], limit: number): { tasks: TaskView[]; total: number } {
  const observer = observerFor(env);
  const refs = taskIndex(env.root, leases);
  const tasks = refs
    .slice(-limit)
    .map((ref) => readTaskView(leasePaths(env.root, ref.lease), ref.id, observer))
    .filter((view): view is TaskView => view !== undefined);
  return { tasks, total: refs.length };
}
