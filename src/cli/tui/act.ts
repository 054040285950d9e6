import type { Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { leasePaths, newRunnerId } from "../../fsqueue/index.ts";
import { readTaskView } from "../../lease/index.ts";
import type { TaskActArgs } from "../cluster/ops/tui.ts";
import { cancelOne } from "../commands/cancel.ts";
import { requeueOne } from "../commands/requeue.ts";
import type { Context } from "../context.ts";
import { observerFor } from "../leases.ts";

/**
 * A task action chosen in the TUI, done where the lease lives (this machine, or the login node for the
 * `task-act` op): cancel as `rv cancel` does, requeue and retry as `rv requeue` does. The answer is one line for
 * the status bar.
 */
export async function actOnTask(ctx: Context, config: Config, target: TaskActArgs): Promise<string> {
  const view = readTaskView(leasePaths(ctx.root, target.lease), target.taskId, observerFor(ctx, config));
  if (!view) throw new RvError("not_found", `no task ${target.taskId} in lease ${target.lease}`);
  const outcome =
    target.action === "cancel"
      ? cancelOne(ctx, view, newRunnerId(`tui-${ctx.host}`, process.pid))
      : await requeueOne(ctx, view);
  return `${target.action} ${view.id}${view.name ? ` (${view.name})` : ""}: ${outcome}`;
}
