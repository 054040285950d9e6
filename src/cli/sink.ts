import type { Sink } from "../ops/op.ts";
import type { Context } from "./context.ts";

/**
 * Where an op's output goes on this terminal: a task's stdout to stdout, its stderr and rv's notes to stderr. With
 * --json, stdout carries the one JSON document only, so a task's stdout goes to stderr too.
 */
export function cliSink(ctx: Context): Sink {
  return {
    out: ctx.json ? ctx.io.err : ctx.io.out,
    err: ctx.io.err,
    note: (text) => ctx.io.err(`rv: ${text}\n`),
    // Commands that draw progress pass their own sink.
    progress: () => {},
  };
}

/** Ctrl-C while a command follows or waits: stop listening (the op answers with what it has), not the task. */
export function onInterrupt(): { signal: AbortSignal; done: () => void } {
  const stop = new AbortController();
  const abort = () => stop.abort();
  process.once("SIGINT", abort);
  return { signal: stop.signal, done: () => process.removeListener("SIGINT", abort) };
}
