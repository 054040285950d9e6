import { RvError } from "../../errors.ts";
import { isTerminal, type TaskView } from "../../lease/state.ts";
import { exitStatusOf } from "../../ops/exit-status.ts";
import type { Sink } from "../../ops/op.ts";
import { checkSelection } from "../../ops/refs.ts";
import { waitOp } from "../../ops/wait.ts";
import { type WaitTally, WaitTallySchema } from "../../ops/wait-tally.ts";
import type { Context } from "../context.ts";
import { parseDurationMs } from "../flags.ts";
import { printJson } from "../output.ts";
import { missingJson, onSelectedTasks, reconnecting, reportMissing } from "../route.ts";
import { cliSink, onInterrupt } from "../sink.ts";
import { statusLine } from "../ui/status-line.ts";
import { combineTallies, progressLine } from "./wait-progress.ts";

export interface WaitOptions {
  all?: boolean;
  lease?: string;
  timeout?: string;
  tag?: string[];
}

/**
 * `rv wait`: exits 0 when every task succeeded; with one task, with that task's own exit status. With --all, every
 * task of the leases in scope counts, finished ones included. A task that can never start ends the wait (exit 9).
 */
export async function runWait(ctx: Context, refs: string[], options: WaitOptions): Promise<number> {
  const timeoutMs = parseDurationMs("--timeout", options.timeout) ?? null;
  const selection = { refs, lease: options.lease ?? null, all: options.all === true, tags: options.tag ?? [] };
  checkSelection(selection, "wait for");
  const interrupt = onInterrupt();
  const progress = progressOnTerminal(ctx);
  try {
    // One deadline for the whole wait, however many places it takes in turn.
    const deadline = timeoutMs === null ? null : Date.now() + timeoutMs;
    const { reached, missing } = await onSelectedTasks(ctx, selection, (place, select) =>
      reconnecting(
        ctx,
        place,
        () => {
          const left = deadline === null ? null : Math.max(1, deadline - Date.now());
          const input = { select, timeoutMs: left, progress: progress.drawn };
          return place.call(waitOp, input, { signal: interrupt.signal, sink: progress.sinkFor(place.name) });
        },
        interrupt.signal,
      ),
    );
    progress.done();
    const results = reached.map((r) => r.value);
    const views = results.flatMap((r) => r.tasks).filter((v): v is TaskView => v !== null);
    const cannotStart = results.flatMap((r) => r.cannotStart);
    if (selection.tags.length > 0 && views.length === 0 && missing.length === 0) {
      // A misspelt tag must not read as "all succeeded" to a script (`rv wait --tag T && ./analyze`).
      throw new RvError(
        "not_found",
        `no task has the tag${selection.tags.length > 1 ? "s" : ""} ${selection.tags.join(", ")}`,
        {
          hint: "rv tags lists the tags and their tasks",
        },
      );
    }
    const timedOut = results.some((r) => r.timedOut);
    const stopped = results.some((r) => r.stopped);
    const failure = whyNotDone(cannotStart, timedOut ? views : null, options.timeout);
    const done = views.length === 1 ? exitStatusOf(views[0]) : views.every((v) => v.state === "succeeded") ? 0 : 1;
    const status = stopped ? 130 : done;
    if (ctx.json) {
      const error = failure?.toRecord();
      const doc = { timedOut, stopped, cannotStart, tasks: views, missing: missingJson(missing) };
      printJson(ctx.io, { ...doc, ...(error && { error }) });
      return failure ? failure.exitCode : status;
    }
    reportMissing(ctx, missing, "tasks");
    for (const view of views) ctx.io.out(`${view.id}\t${view.state}\n`);
    if (stopped) return 130;
    if (failure) throw failure;
    return status;
  } finally {
    progress.done();
    interrupt.done();
  }
}

/**
 * The progress line on a terminal (stderr, not with --json): each place's latest tally as one, redrawn as tallies
 * come and every second for the elapsed time; the parallelism behind the ETA is the most seen running at once.
 */
function progressOnTerminal(ctx: Context): { drawn: boolean; sinkFor: (place: string) => Sink; done: () => void } {
  const line = statusLine({ json: ctx.json });
  const startedMs = ctx.now().getTime();
  const tallies = new Map<string, WaitTally>();
  let parallelism = 0;
  let finished = !line.drawn;
  const draw = () => {
    if (finished) return;
    const tally = tallies.size > 0 ? combineTallies([...tallies.values()]) : null;
    line.show(progressLine(tally, ctx.now().getTime() - startedMs, parallelism));
  };
  const timer = line.drawn ? setInterval(draw, 1000) : undefined;
  timer?.unref();
  draw();
  const onTally = (place: string, facts: unknown) => {
    const parsed = WaitTallySchema.safeParse(facts);
    if (!parsed.success) return;
    tallies.set(place, parsed.data);
    parallelism = Math.max(parallelism, combineTallies([...tallies.values()]).running);
    draw();
  };
  return {
    drawn: line.drawn,
    sinkFor: (place) => ({ ...cliSink(ctx), progress: (facts) => onTally(place, facts) }),
    done: () => {
      finished = true;
      clearInterval(timer);
      line.clear();
    },
  };
}

/** Tasks that can never start where they are ended a wait or a follow: exit 9, each reason said. */
export function cannotRun(cannotStart: { id: string; why: string }[]): RvError | null {
  if (cannotStart.length === 0) return null;
  return new RvError("cannot_run", cannotStart.map((c) => c.why).join("; "), {
    hint: "the task stays queued: rv cancel it, or start a lease that can run it (rv lease ls shows the leases)",
  });
}

/** The wait ended without every task ending: some can never start, or the time ran out (`views`: the last look). */
function whyNotDone(
  cannotStart: { id: string; why: string }[],
  views: TaskView[] | null,
  timeout: string | undefined,
): RvError | null {
  const stuck = cannotRun(cannotStart);
  if (stuck || views === null) return stuck;
  const left = views.filter((v) => !isTerminal(v.state)).length;
  return new RvError("timeout", `${left} task(s) still not finished after ${timeout}`);
}
