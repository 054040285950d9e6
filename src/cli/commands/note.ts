import { RvError } from "../../errors.ts";
import { noteOp } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { onSelectedTasks } from "../route.ts";

/** `rv note TASK [TEXT]`: edits the note where the task lives; without TEXT prints it; `--clear` removes it. */
export async function runNote(
  ctx: Context,
  ref: string,
  text: string | undefined,
  options: { lease?: string; clear?: boolean },
): Promise<number> {
  if (options.clear && text !== undefined) throw new RvError("usage", "give a note or --clear, not both");
  const given = options.clear ? "" : (text ?? null);
  const selection = { refs: [ref], lease: options.lease ?? null, all: false, tags: [] };
  const { reached } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(noteOp, { select, text: given }),
  );
  const task = reached.find(({ value }) => value.task)?.value.task;
  if (!task) throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`);
  if (ctx.json) printJson(ctx.io, { task });
  else if (given === null) ctx.io.out(task.note === null ? "" : `${task.note}\n`);
  else
    ctx.io.err(
      `rv: task ${task.id}${task.name ? ` (${task.name})` : ""}: ${task.note === null ? "note removed" : "note set"}\n`,
    );
  return 0;
}
