import type { Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { isTerminal } from "../../lease/index.ts";
import type { Context } from "../context.ts";
import { parseDurationMs } from "../flags.ts";
import { printJson } from "../output.ts";
import { targetTasks } from "../select.ts";
import { exitStatusOf, waitForTasks } from "../watch.ts";

export interface WaitOptions {
  all?: boolean;
  lease?: string;
  timeout?: string;
}

/** Exits 0 when every task succeeded; with one task, with that task's own exit status. */
export async function runWait(ctx: Context, config: Config, refs: string[], options: WaitOptions): Promise<number> {
  const timeoutMs = parseDurationMs("--timeout", options.timeout);
  const targets = targetTasks(
    ctx,
    config,
    { refs, all: options.all, lease: options.lease },
    (v) => !isTerminal(v.state),
  );
  const { views, timedOut } = await waitForTasks(
    ctx,
    config,
    targets.map((t) => ({ lease: t.lease, id: t.id })),
    timeoutMs === undefined ? {} : { timeoutMs },
  );
  if (ctx.json) printJson(ctx.io, { timedOut, tasks: views });
  else for (const view of views) if (view) ctx.io.out(`${view.id}\t${view.state}\n`);
  if (timedOut) {
    const left = views.filter((v) => v && !isTerminal(v.state)).length;
    throw new RvError("timeout", `${left} task(s) still not finished after ${options.timeout}`);
  }
  if (views.length === 1) return exitStatusOf(views[0]);
  return views.every((v) => v?.state === "succeeded") ? 0 : 1;
}
