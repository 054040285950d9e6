import { existsSync, readFileSync } from "node:fs";
import type { Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { leasePaths, taskLogFile } from "../../fsqueue/index.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { printJson } from "../output.ts";
import { resolveRefs, viewOf } from "../select.ts";
import { latestLoggedAttempt } from "../task-logs.ts";
import { followTask } from "../watch.ts";

export interface LogsOptions {
  n?: string;
  stderr?: boolean;
  follow?: boolean;
  attempt?: string;
  lease?: string;
}

export function lastLines(text: string, n: number | undefined): string {
  if (n === undefined) return text;
  const lines = text.split("\n");
  const trailing = lines[lines.length - 1] === "" ? lines.pop() : undefined;
  return [...lines.slice(-n), ...(trailing === undefined ? [] : [""])].join("\n");
}

export async function runLogs(ctx: Context, config: Config, ref: string, options: LogsOptions): Promise<number> {
  const [target] = resolveRefs(ctx, [ref], options.lease);
  if (!target) throw new RvError("usage", "name a task");
  const view = viewOf(ctx, config, target);
  const p = leasePaths(ctx.root, view.lease);
  const stream = options.stderr ? "err" : "out";
  const n = parseCount("-n", options.n, 0);
  const attempt = parseCount("--attempt", options.attempt, 1) ?? latestLoggedAttempt(p, view.id, view.attempt, stream);
  const file = taskLogFile(p, view.id, attempt, stream);
  const text = existsSync(file) ? readFileSync(file, "utf8") : "";
  if (ctx.json) {
    printJson(ctx.io, {
      id: view.id,
      attempt,
      stream: options.stderr ? "stderr" : "stdout",
      file,
      text: lastLines(text, n),
    });
    return 0;
  }
  if (!existsSync(file) && !options.follow) {
    ctx.io.err(`rv: task ${view.id} is ${view.state}; it has no ${options.stderr ? "stderr" : "stdout"} yet\n`);
    return 0;
  }
  ctx.io.out(lastLines(text, n));
  if (!options.follow) return 0;
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once("SIGINT", onInterrupt);
  try {
    await followTask(ctx, config, target, { streams: [stream], fromStart: false, stop: stop.signal });
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
  return 0;
}
