import { deferred } from "../deferred.ts";
import { leasePaths } from "../fsqueue/index.ts";
import { jitAsUsual } from "../jit.ts";
import { readArchivedViews, readLeaseTasks, TaskStateSchema, type TaskView, TaskViewSchema } from "../lease/state.ts";
import { z } from "../zod.ts";
import { observerFor } from "./observer.ts";
import { defineListOp, defineOp, type Listing, listing, mergeSorted } from "./op.ts";
import { hasTags, newestViews } from "./select.ts";
import { leasesInScope } from "./summary.ts";

export const TasksInputSchema = deferred(() =>
  z.object({
    lease: z._default(z.nullable(z.string()), null),
    states: z._default(z.nullable(z.array(TaskStateSchema)), null),
    /** A regular expression the task's name must match. */
    name: z._default(z.nullable(z.string()), null),
    /** Tags the task must all have. */
    tags: z._default(z.array(z.string()), []),
    /** The newest N of those selected; 0 for all. */
    limit: z._default(z.int().check(z.gte(0)), 20),
    /** The tasks `rv clean` archived, instead of the lease's own. */
    archived: z._default(z.boolean(), false),
  }),
);
type TasksInput = z.output<typeof TasksInputSchema>;

/**
 * `rv tasks`, `rv ps`: the tasks of the leases in scope, newest last (the order people read a log in), and how many
 * were selected in all. A listing of every task is yielded as it is read: a long history is never held whole.
 */
export const tasksOp = defineListOp({
  name: "tasks",
  input: TasksInputSchema,
  item: TaskViewSchema,
  list(env, input) {
    const leases = leasesInScope(env, input.lease);
    const filtered = input.states !== null || input.name !== null || input.tags.length > 0;
    if (!input.archived && !filtered && input.limit > 0) {
      const { views, total } = newestViews(env, leases, input.limit);
      return listing(views, total);
    }
    // Every task of the history is read (here or on a login node through rv rpc): worth compiling (src/jit.ts).
    jitAsUsual();
    const observer = observerFor(env);
    const read = (lease: string) => {
      const p = leasePaths(env.root, lease);
      return input.archived ? readArchivedViews(p) : readLeaseTasks(p, observer);
    };
    return selected(
      mergeSorted(leases.map(read), (task) => task.id),
      input,
    );
  },
});

/** Whether the filters select a task. */
function selects(filter: Pick<TasksInput, "states" | "name" | "tags">): (task: TaskView) => boolean {
  const name = filter.name === null ? null : new RegExp(filter.name);
  return (t) =>
    (filter.states === null || filter.states.includes(t.state)) &&
    (name === null || name.test(t.name ?? "")) &&
    hasTags(t, filter.tags);
}

/** The tasks the filters select, in the order given; with a limit, only the newest `limit` of them. */
function* selected(tasks: Iterable<TaskView>, input: TasksInput): Listing<TaskView> {
  const select = selects(input);
  const newest: TaskView[] = [];
  let total = 0;
  for (const task of tasks) {
    if (!select(task)) continue;
    total++;
    if (input.limit === 0) yield task;
    else {
      newest.push(task);
      // Trimmed now and then, not at each task: a limit of thousands stays linear.
      if (newest.length >= 2 * input.limit) newest.splice(0, newest.length - input.limit);
    }
  }
  yield* newest.slice(-input.limit);
  return total;
}

/** `rv tags`: every tag of the leases in scope, with how many tasks have it, by state. */
export const tagsOp = defineOp({
  name: "tags",
  input: deferred(() => z.object({ lease: z._default(z.nullable(z.string()), null) })),
  result: deferred(() =>
    z.object({
      tags: z.array(z.object({ tag: z.string(), total: z.int(), states: z.record(z.string(), z.int()) })),
    }),
  ),
  run(env, input) {
    const observer = observerFor(env);
    const counts = new Map<string, Record<string, number>>();
    for (const lease of leasesInScope(env, input.lease)) {
      for (const task of readLeaseTasks(leasePaths(env.root, lease), observer)) {
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
