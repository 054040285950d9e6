import { RvError } from "../../errors.ts";
import { requeueOp } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { onSelectedTasks } from "../route.ts";

/**
 * `rv requeue`: a failed, cancelled, stuck or lost task goes back to the inbox as a new attempt, where it lives;
 * with `--tag`, every such task that has the tags.
 */
export async function runRequeue(
  ctx: Context,
  refs: string[],
  options: { lease?: string; tag?: string[] },
): Promise<number> {
  const selection = { refs, lease: options.lease ?? null, all: false, tags: options.tag ?? [] };
  if (refs.length === 0 && selection.tags.length === 0) {
    throw new RvError("usage", "name the task(s) to requeue (id, unique suffix, or 1 for the newest), or --tag T");
  }
  if (refs.length > 0 && selection.tags.length > 0) throw new RvError("usage", "give task ids or --tag, not both");
  const { reached } = await onSelectedTasks(ctx, selection, (place, select) => place.call(requeueOp, { select }));
  const tasks = reached.flatMap(({ place, value }) => value.tasks.map((t) => ({ ...t, place: place.name })));
  if (ctx.json) printJson(ctx.io, { tasks });
  else for (const t of tasks) ctx.io.out(`${t.id}\t${t.outcome} (was ${t.from})\n`);
  return 0;
}
