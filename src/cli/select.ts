import type { Config } from "../config/index.ts";
import { RvError } from "../errors.ts";
import { leasePaths } from "../fsqueue/index.ts";
import { listLeases, readLeaseState, type TaskView } from "../lease/index.ts";
import type { Context } from "./context.ts";
import { observerFor } from "./leases.ts";
import { resolveTaskRef, type TaskRef, taskIndex } from "./refs.ts";
import { leasesInScope } from "./scope.ts";
import { currentView } from "./watch.ts";

/** Task references may point into any lease, released ones included, unless a lease is named. */
export function resolveRefs(ctx: Context, refs: string[], lease: string | undefined): TaskRef[] {
  const leases = lease ? [lease] : listLeases(ctx.root).map((l) => l.id);
  const index = taskIndex(ctx.root, leases);
  return refs.map((ref) => resolveTaskRef(index, ref));
}

export function viewOf(ctx: Context, config: Config, ref: TaskRef): TaskView {
  const view = currentView(ctx, config, ref);
  if (!view) throw new RvError("not_found", `task ${ref.id} vanished while rv was looking at it`);
  return view;
}

/** `TASK...` or `--all`: the named tasks, or every task in scope that `keep` selects. */
export function targetTasks(
  ctx: Context,
  config: Config,
  request: { refs: string[]; all?: boolean; lease?: string | undefined },
  keep: (view: TaskView) => boolean,
): TaskView[] {
  if (request.all && request.refs.length > 0) throw new RvError("usage", "give task ids or --all, not both");
  if (!request.all && request.refs.length === 0) {
    throw new RvError("usage", "name at least one task (id, unique suffix, or 1 for the newest), or --all");
  }
  if (!request.all) return resolveRefs(ctx, request.refs, request.lease).map((ref) => viewOf(ctx, config, ref));
  const observer = observerFor(ctx, config);
  return leasesInScope(ctx, config, request.lease)
    .flatMap((lease) => readLeaseState(leasePaths(ctx.root, lease), observer).tasks)
    .filter(keep);
}
