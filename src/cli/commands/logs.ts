import { RvError } from "../../errors.ts";
import { logsOp } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { printJson } from "../output.ts";
import { onSelectedTasks } from "../route.ts";
import { cliSink, onInterrupt } from "../sink.ts";

export interface LogsOptions {
  n?: string;
  stderr?: boolean;
  follow?: boolean;
  attempt?: string;
  lease?: string;
}

/**
 * `rv logs TASK [-f]`: one call where the task lives; following streams its output as it is written (over one ssh
 * channel for a cluster task) until it ends or Ctrl-C. With --json, followed output goes to stderr.
 */
export async function runLogs(ctx: Context, ref: string, options: LogsOptions): Promise<number> {
  const input = {
    stream: options.stderr ? ("err" as const) : ("out" as const),
    attempt: parseCount("--attempt", options.attempt, 1) ?? null,
    lines: parseCount("-n", options.n, 0) ?? null,
    follow: options.follow === true,
  };
  // Only following waits for the person to stop it: any other call ends by itself, and Ctrl-C ends rv.
  const interrupt = input.follow ? onInterrupt() : null;
  try {
    const sink = cliSink(ctx);
    const selection = { refs: [ref], lease: options.lease ?? null, all: false, tags: [] };
    const { reached } = await onSelectedTasks(ctx, selection, (place, select) =>
      place.call(logsOp, { ...input, select }, { sink, ...(interrupt && { signal: interrupt.signal }) }),
    );
    const log = reached.find(({ value }) => value.log)?.value.log;
    if (!log) throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`);
    if (ctx.json) printJson(ctx.io, log);
    else if (log.text !== null) {
      if (!log.exists) ctx.io.err(`rv: task ${log.id} is ${log.state}; ${noLogWhy(log.state, log.stream)}\n`);
      ctx.io.out(log.text);
    }
    return 0;
  } finally {
    interrupt?.done();
  }
}

/** A task that never started never will have logs; one that waits has none yet. */
function noLogWhy(state: string, stream: string): string {
  if (state === "dep_failed" || state === "cancelled") return `it never started, so it has no ${stream}`;
  return `it has no ${stream} yet`;
}
