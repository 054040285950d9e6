import { z } from "zod";
import { leasePaths } from "../fsqueue/index.ts";
import {
  readArchivedViews,
  readLeaseState,
  readTaskView,
  TaskStateSchema,
  type TaskView,
  TaskViewSchema,
} from "../lease/state.ts";
import { observerFor } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { newestTasks } from "./refs.ts";
import { hasTags } from "./select.ts";
import { leasesInScope } from "./summary.ts";

export const TasksInputSchema = z.object({
  lease: z.string().nullable().default(null),
  states: z.array(TaskStateSchema).nullable().default(null),
  /** A regular expression the task's name must match. */
  name: z.string().nullable().default(null),
  /** Tags the task must all have. */
  tags: z.array(z.string()).default([]),
  /** The newest N of those selected; 0 for all. */
  limit: z.int().min(0).default(20),
  /** The tasks `rv clean` archived, instead of the lease's own. */
  archived: z.boolean().default(false),
});
type TasksInput = z.output<typeof TasksInputSchema>;

/** `rv tasks`, `rv ps`: the tasks of the leases in scope, newest last, and how many were selected in all. */
export const tasksOp = defineOp({
  name: "tasks",
  input: TasksInputSchema,
  result: z.object({ tasks: z.array(TaskViewSchema), total: z.int() }),
  run(env, input) {
    const leases = leasesInScope(env, input.lease);
    if (input.archived) return readArchived(env, leases, input);
    const filtered = input.states !== null || input.name !== null || input.tags.length > 0;
    return filtered || input.limit === 0 ? readSelected(env, leases, input) : readNewest(env, leases, input.limit);
  },
});

/** Which tasks the filters select, newest last (the order people read a log in). */
export function selectTasks(tasks: TaskView[], filter: Pick<TasksInput, "states" | "name" | "tags">): TaskView[] {
  const name = filter.name === null ? null : new RegExp(filter.name);
  return tasks.filter(
    (t) =>
      (filter.states === null || filter.states.includes(t.state)) &&
      (name === null || name.test(t.name ?? "")) &&
      hasTags(t, filter.tags),
  );
}

function readArchived(env: OpEnv, leases: string[], input: TasksInput): { tasks: TaskView[]; total: number } {
  const all = leases.flatMap((lease) => readArchivedViews(leasePaths(env.root, lease)));
  const shown = selectTasks(
    all.sort((a, b) => a.id.localeCompare(b.id)),
    input,
  );
  return { tasks: input.limit > 0 ? shown.slice(-input.limit) : shown, total: shown.length };
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
  const { newest, total } = newestTasks(env.root, leases, limit);
  const tasks = newest
    .map((ref) => readTaskView(leasePaths(env.root, ref.lease), ref.id, observer))
    .filter((view): view is TaskView => view !== undefined);
  return { tasks, total };
}

/** `rv tags`: every tag of the leases in scope, with how many tasks have it, by state. */
export const tagsOp = defineOp({
  name: "tags",
  input: z.object({ lease: z.string().nullable().default(null) }),
  result: z.object({
    tags: z.array(z.object({ tag: z.string(), total: z.int(), states: z.record(z.string(), z.int()) })),
  }),
  run(env, input) {
    const observer = observerFor(env);
    const counts = new Map<string, Record<string, number>>();
    for (const lease of leasesInScope(env, input.lease)) {
      for (const task of readLeaseState(leasePaths(env.root, lease), observer).tasks) {
        for (const tag of task.tags) {
          const states = counts.get(tag) ?? {};
          states[task.state] = (states[task.state] ?? 0) + 1;
          counts.set(tag, states);
        }
      }
    }
    const tags = [...counts]
      .map(([tag, states]) => ({ tag, total: Object.values(states).reduce((a, b) => a + b, 0), states }))
      .sort((a, b) => a.tag.localeCompare(b.tag));
    return { tags };
  },
});
