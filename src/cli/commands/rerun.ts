import { labelProblem } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { rerunOp } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { parseEnvFlags } from "../flags.ts";
import { printJson } from "../output.ts";
import { onSelectedTasks } from "../route.ts";

/** `rv rerun TASK [--env K=V] [-- ARGV]`: one call where the old task lives; prints the new task's id. */
export async function runRerun(
  ctx: Context,
  words: string[],
  options: { env: string[]; lease?: string; name?: string },
): Promise<number> {
  const [ref, ...argv] = words;
  if (ref === undefined) throw new RvError("usage", "name the task to run again: rv rerun TASK [-- NEW ARGV]");
  const problem = options.name === undefined ? undefined : labelProblem(options.name);
  if (problem !== undefined) throw new RvError("usage", `--name: ${problem}`);
  const input = {
    env: parseEnvFlags(options.env, ctx.env),
    argv: argv.length > 0 ? argv : null,
    name: options.name ?? null,
  };
  const selection = { refs: [ref], lease: options.lease ?? null, all: false, tags: [] };
  const { reached } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(rerunOp, { select, ...input }),
  );
  const found = reached.find(({ value }) => value.task);
  const task = found?.value.task;
  if (!found || !task) throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`);
  if (ctx.json) {
    printJson(ctx.io, { place: found.place.name, task, warnings: found.value.warnings });
    return 0;
  }
  for (const warning of found.value.warnings) ctx.io.err(`rv: warning: ${warning}\n`);
  ctx.io.out(`${task.id}\n`);
  const named = task.name ? ` (${task.name})` : "";
  ctx.io.err(`rv: ${task.id}${named} runs again what ${task.from} ran, in lease ${task.lease}\n`);
  return 0;
}
