import { existsSync, readFileSync, statSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { type LeasePaths, leasePaths, taskLogFile } from "../fsqueue/index.ts";
import { TaskStateSchema, type TaskView } from "../lease/index.ts";
import { z } from "../zod.ts";
import { type FollowFrom, followTask } from "./follow.ts";
import { latestLoggedAttempt } from "./log-tail.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { oneSelected, selectedViews } from "./select.ts";

/** The last `n` lines of `text` (all of it without `n`), keeping a final newline. */
export function lastLines(text: string, n: number | null): string {
  if (n === null) return text;
  const lines = text.split("\n");
  const trailing = lines[lines.length - 1] === "" ? lines.pop() : undefined;
  return [...lines.slice(-n), ...(trailing === undefined ? [] : [""])].join("\n");
}

/**
 * `rv logs TASK`: one attempt's stdout or stderr (the newest that has one, unless `attempt` says), or its last
 * `lines`. Following, the text goes out as it is written, from what is there now (a task not started yet: from
 * its first line) until the task ends; the answer then carries no text. A task that turned out to be the other
 * place's is handed back in `elsewhere`.
 */
const LogSchema = deferred(() =>
  z.object({
    id: z.string(),
    lease: z.string(),
    /** Present for the tasks of a `--tag`: the header names them. */
    name: z.optional(z.nullable(z.string())),
    state: TaskStateSchema,
    attempt: z.int(),
    stream: z.enum(["stdout", "stderr"]),
    file: z.string(),
    /** Null when it was streamed (following). */
    text: z.nullable(z.string()),
    exists: z.boolean(),
    /**
     * The size of the same attempt's other stream (stderr when stdout is shown): a task that printed nothing to the
     * one shown, or failed, may have said why in the other (a traceback, a progress bar).
     */
    otherBytes: z.int(),
  }),
);

/** One task's log as it is now: the newest attempt that has one, or the attempt asked for. */
function readLog(env: OpEnv, view: TaskView, stream: "out" | "err", attempt: number | null, lines: number | null) {
  const p = leasePaths(env.root, view.lease);
  const shown = attempt ?? latestLoggedAttempt(p, view.id, view.attempt, stream);
  const file = taskLogFile(p, view.id, shown, stream);
  const exists = existsSync(file);
  const whole = exists ? readFileSync(file) : Buffer.alloc(0);
  const log = {
    id: view.id,
    lease: view.lease,
    name: view.name,
    state: view.state,
    attempt: shown,
    stream: stream === "out" ? ("stdout" as const) : ("stderr" as const),
    file,
    exists,
    otherBytes: otherBytes(p, view.id, shown, stream),
  };
  return { log, whole, text: lastLines(whole.toString("utf8"), lines) };
}

function otherBytes(p: LeasePaths, id: string, attempt: number, stream: "out" | "err"): number {
  return statSync(taskLogFile(p, id, attempt, stream === "out" ? "err" : "out"), { throwIfNoEntry: false })?.size ?? 0;
}

/**
 * Where `rv logs -f` has got, sent as progress while it follows: the attempt and the byte offset in its log up to
 * which the text went out. A follower whose connection dropped asks again from there (`resume`): nothing twice,
 * nothing missed (a character split at the offset is decoded whole, the offset being a byte count).
 */
export const LogFollowedSchema = deferred(() =>
  z.object({ attempt: z.int().check(z.gte(0)), offset: z.int().check(z.gte(0)) }),
);

export const logsOp = defineOp({
  name: "logs",
  input: deferred(() =>
    z.object({
      select: TaskSelectionSchema,
      stream: z._default(z.enum(["out", "err"]), "out"),
      attempt: z._default(z.nullable(z.int().check(z.positive())), null),
      lines: z._default(z.nullable(z.int().check(z.gte(0))), null),
      follow: z._default(z.boolean(), false),
      /** Following again after a dropped connection: from here, without printing what was printed. */
      resume: z._default(z.nullable(LogFollowedSchema), null),
    }),
  ),
  result: deferred(() =>
    z.object({
      log: z.nullable(LogSchema),
      /** `--tag`: every task with the tags, oldest first, each with its last lines. */
      logs: z._default(z.array(LogSchema), []),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  async run(env, input) {
    if (input.select.tags.length > 0) {
      const { views } = selectedViews(env, input.select, () => true);
      const logs = views.map((v) => {
        const { log, text } = readLog(env, v, input.stream, input.attempt, input.lines);
        return { ...log, text };
      });
      return { log: null, logs, elsewhere: [] };
    }
    const { view, elsewhere } = oneSelected(env, input.select, "rv logs TASK");
    if (!view) return { log: null, logs: [], elsewhere };
    const { log, whole, text } = readLog(env, view, input.stream, input.attempt, input.lines);
    const { attempt, exists } = log;
    if (!input.follow || (input.attempt !== null && input.attempt !== view.attempt))
      return { log: { ...log, text }, logs: [], elsewhere };
    const followed = (at: { attempt: number; offset: number }) => env.sink.progress(LogFollowedSchema.parse(at));
    let from: FollowFrom;
    if (input.resume && input.resume.attempt > 0) {
      from = { attempt: input.resume.attempt, offsets: { out: 0, err: 0, [input.stream]: input.resume.offset } };
    } else if (input.resume) {
      from = "start";
    } else {
      env.sink.out(text);
      // From the end of what was printed: an older attempt's log was printed, the newest is followed from its start.
      from = exists ? { attempt, offsets: { out: 0, err: 0, [input.stream]: whole.length } } : "start";
      followed(from === "start" ? { attempt: 0, offset: 0 } : { attempt, offset: whole.length });
    }
    const ref = { lease: view.lease, id: view.id };
    const onRead = (at: { attempt: number; offsets: { out: number; err: number } }) =>
      followed({ attempt: at.attempt, offset: at.offsets[input.stream] });
    const { views, cannotStart } = await followTask(env, ref, {
      streams: [input.stream],
      from,
      allToOut: true,
      onRead,
    });
    for (const stuck of cannotStart) env.sink.note(`stopped following: ${stuck.why}`);
    // The other stream as the task left it: it went on writing while this one was followed.
    const last = views[0] ?? view;
    const otherSize = otherBytes(leasePaths(env.root, view.lease), view.id, last.attempt, input.stream);
    return { log: { ...log, state: last.state, text: null, otherBytes: otherSize }, logs: [], elsewhere };
  },
});
