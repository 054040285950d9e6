import type { Config } from "../../config/index.ts";
import { cancelPendingTask, leasePaths, newRunnerId, requestControl } from "../../fsqueue/index.ts";
import { isTerminal, type TaskView } from "../../lease/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { targetTasks } from "../select.ts";
import { waitForTasks } from "../watch.ts";

export interface CancelOptions {
  all?: boolean;
  dryRun?: boolean;
  lease?: string;
}

export type CancelOutcome = "cancelled" | "cancelling" | "already-finished" | "would-cancel";

/** Pending tasks are cancelled here and now; running ones through a request their runner acts on. */
export function cancelOne(ctx: Context, view: TaskView, client: string): CancelOutcome {
  if (isTerminal(view.state)) return "already-finished";
  const p = leasePaths(ctx.root, view.lease);
  const context = { host: ctx.host, now: ctx.now() };
  if (view.state === "pending" && cancelPendingTask(p, view.id, client, context) === "cancelled") return "cancelled";
  requestControl(p, view.id, "cancel", client, context.now);
  return "cancelling";
}

export async function runCancel(ctx: Context, config: Config, refs: string[], options: CancelOptions): Promise<number> {
  const views = targetTasks(ctx, config, { refs, all: options.all, lease: options.lease }, (v) => !isTerminal(v.state));
  const client = newRunnerId(`cli-${ctx.host}`, process.pid);
  const results = views.map((view) => ({
    id: view.id,
    lease: view.lease,
    outcome: options.dryRun
      ? isTerminal(view.state)
        ? "already-finished"
        : "would-cancel"
      : cancelOne(ctx, view, client),
  }));
  const pendingKills = results.filter((r) => r.outcome === "cancelling");
  if (pendingKills.length > 0) {
    const { views: after } = await waitForTasks(ctx, config, pendingKills, {
      timeoutMs: config.runner.killGraceMs + 5000,
    });
    after.forEach((view, i) => {
      const result = pendingKills[i];
      if (result && view && isTerminal(view.state)) result.outcome = "cancelled";
    });
  }
  if (ctx.json) printJson(ctx.io, { dryRun: options.dryRun === true, tasks: results });
  else {
    for (const r of results) ctx.io.out(`${r.id}\t${r.outcome}\n`);
    if (results.length === 0) ctx.io.err("nothing to cancel\n");
  }
  return 0;
}
