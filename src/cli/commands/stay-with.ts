import type { TaskView } from "../../lease/state.ts";
import type { Place } from "../../ops/places.ts";
import { runOp } from "../../ops/submit.ts";
import type { TaskSpec } from "../../ops/taskspec.ts";
import type { Context } from "../context.ts";
import { printJson } from "../output.ts";
import { cliSink, onInterrupt } from "../sink.ts";
import { cannotRun } from "./wait.ts";

/**
 * `rv run`, `--follow`, `--wait`: one call that submits and stays with the tasks, its output streamed as it comes
 * (with --json, to stderr: stdout carries the one JSON document). Ctrl-C stops following, never the task.
 */
export async function stayWith(
  ctx: Context,
  place: Place,
  input: { lease: string; specs: TaskSpec[]; secrets: Record<string, string>; follow: boolean },
): Promise<number> {
  const interrupt = onInterrupt();
  try {
    const result = await place.call(runOp, input, { sink: cliSink(ctx), signal: interrupt.signal });
    if (result.stopped) {
      ctx.io.err(`rv: stopped following; the task goes on (rv logs -f ${result.tasks[0]?.id ?? ""})\n`);
      if (ctx.json) printJson(ctx.io, { lease: result.lease, tasks: result.tasks, stopped: true });
      return 130;
    }
    const stuck = cannotRun(result.cannotStart);
    if (ctx.json) {
      const error = stuck?.toRecord();
      printJson(ctx.io, {
        lease: result.lease,
        tasks: result.tasks,
        warnings: result.warnings,
        ...(error && { error }),
      });
      return stuck ? stuck.exitCode : result.exitStatus;
    }
    if (stuck) throw stuck;
    // Following, the task's own stderr told why it failed (a command not found, too); waiting, rv tells it.
    if (!input.follow) for (const view of result.tasks) ctx.io.err(`rv: ${view?.id} ${view?.state}${why(view)}\n`);
    return result.exitStatus;
  } finally {
    interrupt.done();
  }
}

function why(view: TaskView | null): string {
  return view?.reason && view.state !== "succeeded" ? `: ${view.reason}` : "";
}
