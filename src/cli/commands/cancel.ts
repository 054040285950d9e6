import { cancelOp, checkSelection } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { missingJson, onSelectedTasks, reportMissing } from "../route.ts";

export interface CancelOptions {
  all?: boolean;
  dryRun?: boolean;
  lease?: string;
  tag?: string[];
}

/** `rv cancel`: done where each task lives; running tasks are stopped with their process group. */
export async function runCancel(ctx: Context, refs: string[], options: CancelOptions): Promise<number> {
  const selection = { refs, lease: options.lease ?? null, all: options.all === true, tags: options.tag ?? [] };
  checkSelection(selection, "cancel");
  const { reached, missing } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(cancelOp, { select, dryRun: options.dryRun === true }),
  );
  const tasks = reached.flatMap(({ place, value }) => value.tasks.map((t) => ({ ...t, place: place.name })));
  if (ctx.json) printJson(ctx.io, { dryRun: options.dryRun === true, tasks, missing: missingJson(missing) });
  else {
    reportMissing(ctx, missing, "tasks");
    for (const t of tasks) ctx.io.out(`${t.id}\t${t.outcome}\n`);
    if (tasks.length === 0) ctx.io.err("nothing to cancel\n");
  }
  return 0;
}
