import type { Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import {
  leasePaths,
  newRunnerId,
  publishTask,
  readDoneOne,
  readHeartbeats,
  recoverClaims,
  requestControl,
} from "../../fsqueue/index.ts";
import type { TaskView } from "../../lease/index.ts";
import { killOrphans, readEvents } from "../../runner/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { resolveRefs, viewOf } from "../select.ts";

export type RequeueOutcome = "requeued" | "requeue-requested" | "already-pending";

/**
 * Finished tasks are published again with the next attempt (their old `done/` record loses to the
 * newer attempt); a running task is interrupted by its runner and requeued; a lost task is recovered now.
 */
export async function requeueOne(ctx: Context, view: TaskView): Promise<RequeueOutcome> {
  const p = leasePaths(ctx.root, view.lease);
  const now = ctx.now();
  const client = newRunnerId(`cli-${ctx.host}`, process.pid);
  switch (view.state) {
    case "pending":
      return "already-pending";
    case "running":
      requestControl(p, view.id, "requeue", client, now);
      return "requeue-requested";
    case "lost": {
      const owner = view.runner ?? "";
      const hb = readHeartbeats(p).find((h) => h.runner === owner);
      if (hb?.host === ctx.host) await killOrphans(readEvents(p, owner));
      recoverClaims(p, owner, client, { host: ctx.host, now });
      return "requeued";
    }
    default: {
      const done = readDoneOne(p, view.id);
      if (!done) throw new RvError("not_found", `task ${view.id} has no record in done/`);
      const next = { ...done.task, attempt: done.task.attempt + 1, crashes: 0 };
      return publishTask(p, next) === "published" ? "requeued" : "already-pending";
    }
  }
}

export async function runRequeue(ctx: Context, config: Config, refs: string[], options: { lease?: string }) {
  if (refs.length === 0)
    throw new RvError("usage", "name the task(s) to requeue (id, unique suffix, or 1 for the newest)");
  const results = [];
  for (const ref of resolveRefs(ctx, refs, options.lease)) {
    const view = viewOf(ctx, config, ref);
    results.push({ id: view.id, lease: view.lease, from: view.state, outcome: await requeueOne(ctx, view) });
  }
  if (ctx.json) printJson(ctx.io, { tasks: results });
  else for (const r of results) ctx.io.out(`${r.id}\t${r.outcome} (was ${r.from})\n`);
  return 0;
}
