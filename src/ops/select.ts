import { RvError } from "../errors.ts";
import { leasePaths } from "../fsqueue/index.ts";
import { readLeaseState, readTaskView, type TaskView } from "../lease/state.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { currentView } from "./follow.ts";
import { observerFor } from "./observer.ts";
import type { OpEnv } from "./op.ts";
import { newestTasks, resolveSelection, type TaskRef, type TaskSelectionSchema } from "./refs.ts";
import { leasesInScope } from "./summary.ts";

/**
 * The tasks a selection names here, as they are now (or with --all, or --tag, every task in scope that `keep`
 * selects and that has the tags), and the references that turned out to be the other place's.
 */
export function selectedViews(
  env: OpEnv,
  selection: ReturnType<typeof TaskSelectionSchema.parse>,
  keep: (view: TaskView) => boolean,
): { views: TaskView[]; elsewhere: TaskRef[] } {
  if (selection.all || selection.tags.length > 0) {
    const observer = observerFor(env);
    const views = leasesInScope(env, selection.lease)
      .flatMap((lease) => readLeaseState(leasePaths(env.root, lease), observer).tasks)
      .filter((view) => keep(view) && hasTags(view, selection.tags));
    return { views, elsewhere: [] };
  }
  const { here, elsewhere } = resolveSelection(env.root, selection, warnOfBadLease(env));
  return { views: here.map((ref) => viewOf(env, ref)), elsewhere };
}

/**
 * The newest `limit` tasks of `leases` as they are now, oldest first, and how many tasks they hold: ids sort by submit
 * time, so directory listings alone say which tasks are newest and how many there are, however long the history.
 */
export function newestViews(env: OpEnv, leases: string[], limit: number): { views: TaskView[]; total: number } {
  const observer = observerFor(env);
  const { newest, total } = newestTasks(env.root, leases, limit);
  const views = newest
    .map((ref) => readTaskView(leasePaths(env.root, ref.lease), ref.id, observer))
    .filter((view): view is TaskView => view !== undefined);
  return { views, total };
}

export function viewOf(env: OpEnv, ref: TaskRef): TaskView {
  const view = currentView(env, ref);
  if (!view) throw new RvError("not_found", `task ${ref.id} vanished while rv was looking at it`);
  return view;
}

/** Whether the task has every one of `tags` (none asked: every task). */
export function hasTags(view: Pick<TaskView, "tags">, tags: readonly string[]): boolean {
  return tags.every((tag) => view.tags.includes(tag));
}

/**
 * The one task a command about a single task names (`rv logs`, `rv show`): its view here, or null with the
 * reference handed back when it is the other place's.
 */
export function oneSelected(
  env: OpEnv,
  selection: ReturnType<typeof TaskSelectionSchema.parse>,
  usage: string,
): { view: TaskView | null; elsewhere: TaskRef[] } {
  if (selection.refs.length !== 1) throw new RvError("usage", `name one task: ${usage}`);
  const { here, elsewhere } = resolveSelection(env.root, selection, warnOfBadLease(env));
  const [ref] = here;
  return { view: ref ? viewOf(env, ref) : null, elsewhere };
}
