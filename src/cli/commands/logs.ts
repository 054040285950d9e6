import { RvError } from "../../errors.ts";
import { LogFollowedSchema, logsOp, logsSearchOp } from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import type { z } from "../../zod.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { firstFew, formatBytes, printJson } from "../output.ts";
import { missingJson, onSelectedTasks, reconnecting, reportMissing } from "../route.ts";
import { cliSink, onInterrupt } from "../sink.ts";

export interface LogsOptions {
  n?: string;
  stderr?: boolean;
  follow?: boolean;
  attempt?: string;
  lease?: string;
  tag?: string[];
  search?: string;
  ignoreCase?: boolean;
  pull?: boolean;
  to?: string;
}

/** Lines of each task `rv logs --tag` prints when -n is not given, as tail does for several files. */
const TAGGED_LINES = 10;

/**
 * `rv logs TASK [-f]`: one call where the task lives; following streams its output as it is written (over one ssh
 * channel for a cluster task) until it ends or Ctrl-C. With --json, followed output goes to stderr.
 */
export async function runLogs(ctx: Context, ref: string | undefined, options: LogsOptions): Promise<number> {
  const tags = options.tag ?? [];
  const input = {
    stream: options.stderr ? ("err" as const) : ("out" as const),
    attempt: parseCount("--attempt", options.attempt, 1) ?? null,
    lines: parseCount("-n", options.n, 0) ?? (tags.length > 0 ? TAGGED_LINES : null),
    follow: options.follow === true,
  };
  if (options.search !== undefined) return runLogSearch(ctx, ref, options);
  if (options.pull) {
    if (ref === undefined) throw new RvError("usage", "--pull copies one task's logs: name it (rv logs --pull TASK)");
    return (await import("./pull.ts")).runLogsPull(ctx, ref, options);
  }
  if (tags.length > 0) return runTaggedLogs(ctx, ref, tags, input, options.lease);
  if (ref === undefined) {
    throw new RvError("usage", "name the task whose output to print, or --tag T for every task with the tag", {
      hint: "for example: rv logs 1 (the newest), rv logs train -f, rv logs --tag sw-5d41a2 -n 3",
    });
  }
  // Only following waits for the person to stop it: any other call ends by itself, and Ctrl-C ends rv.
  const interrupt = input.follow ? onInterrupt() : null;
  try {
    // Where following has got: a dropped connection resumes there (reconnecting), nothing printed twice.
    let resume: z.infer<typeof LogFollowedSchema> | null = null;
    const followed = (facts: unknown) => {
      const at = LogFollowedSchema.safeParse(facts);
      if (at.success) resume = at.data;
    };
    const sink = { ...cliSink(ctx), progress: followed };
    const selection = { refs: [ref], lease: options.lease ?? null, all: false, tags: [] };
    const { reached } = await onSelectedTasks(ctx, selection, (place, select) =>
      reconnecting(
        ctx,
        place,
        () =>
          place.call(logsOp, { ...input, select, resume }, { sink, ...(interrupt && { signal: interrupt.signal }) }),
        interrupt?.signal,
      ),
    );
    const log = reached.find(({ value }) => value.log)?.value.log;
    if (!log) throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`);
    if (ctx.json) printJson(ctx.io, log);
    else {
      if (log.text !== null) {
        if (!log.exists) ctx.io.err(`rv: task ${log.id} is ${log.state}; ${noLogWhy(log.state, log.stream)}\n`);
        ctx.io.out(log.text);
      }
      const again = `rv logs ${ref}${options.attempt ? ` --attempt ${options.attempt}` : ""}`;
      const note = log.exists ? otherStreamNote(log, again) : undefined;
      if (note) ctx.io.err(note);
    }
    return 0;
  } finally {
    interrupt?.done();
  }
}

/**
 * `rv logs --search PATTERN [TASK|--tag T]`: matching lines of every task's newest stdout and stderr (all tasks in
 * scope unless narrowed), searched where each place keeps its logs: one round trip to the cluster.
 */
async function runLogSearch(ctx: Context, ref: string | undefined, options: LogsOptions): Promise<number> {
  if (options.follow) throw new RvError("usage", "--search looks at what is written; -f follows one task");
  const tags = options.tag ?? [];
  const selection = {
    refs: ref === undefined ? [] : [ref],
    lease: options.lease ?? null,
    all: ref === undefined && tags.length === 0,
    tags,
  };
  const input = { pattern: options.search ?? "", ignoreCase: options.ignoreCase === true };
  const { reached, missing } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(logsSearchOp, { ...input, select }),
  );
  const matches = reached
    .flatMap(({ place, value }) => value.matches.map((m) => ({ ...m, place: place.name })))
    .sort((a, b) => a.id.localeCompare(b.id));
  const truncated = reached.some(({ value }) => value.truncated);
  const partial = reached.flatMap(({ value }) => value.partial);
  if (ctx.json) {
    const searched = reached.reduce((sum, { value }) => sum + value.searched, 0);
    printJson(ctx.io, { matches, truncated, searched, partial, missing: missingJson(missing) });
    return matches.length > 0 ? 0 : 1;
  }
  reportMissing(ctx, missing, "logs");
  for (const m of matches) {
    ctx.io.out(`${m.name ?? m.id}  ${m.stream === "stderr" ? "err" : "out"}:${m.line}: ${m.text}\n`);
  }
  if (truncated) ctx.io.err("rv: more lines matched than shown (1000 a place): narrow it with a task or --tag\n");
  for (const id of partial) ctx.io.err(`rv: task ${id}'s log is larger than 64 MB: only its end was searched\n`);
  // As grep: 1 when nothing matched, so a script can tell.
  return matches.length > 0 ? 0 : 1;
}

/** `rv logs --tag T`: the last lines of every task with the tags, here and on the cluster, each under a header. */
async function runTaggedLogs(
  ctx: Context,
  ref: string | undefined,
  tags: string[],
  input: { stream: "out" | "err"; attempt: number | null; lines: number | null; follow: boolean },
  lease: string | undefined,
): Promise<number> {
  if (ref !== undefined) throw new RvError("usage", "give a task or --tag, not both");
  if (input.follow) {
    throw new RvError("usage", "-f follows one task: --tag prints the last lines of each", {
      hint: "follow one of them by its name: rv logs NAME -f",
    });
  }
  const selection = { refs: [], lease: lease ?? null, all: false, tags };
  const { reached, missing } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(logsOp, { ...input, select }),
  );
  const logs = reached.flatMap(({ value }) => value.logs).sort((a, b) => a.id.localeCompare(b.id));
  if (ctx.json) {
    printJson(ctx.io, { logs, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "logs");
  if (logs.length === 0)
    throw new RvError("not_found", `no task has the tag${tags.length > 1 ? "s" : ""} ${tags.join(", ")}`);
  const blocks = logs.map((log) => {
    const header = `==> ${log.name ? `${log.name} (${log.id})` : log.id}, ${log.state}, attempt ${log.attempt} <==`;
    const body = log.exists ? (log.text ?? "") : `(${noLogWhy(log.state, log.stream)})\n`;
    return `${header}\n${body}${body.endsWith("\n") || body === "" ? "" : "\n"}`;
  });
  ctx.io.out(blocks.join("\n"));
  const again = `rv logs ${tags.map((tag) => `--tag ${tag}`).join(" ")}${input.lines === TAGGED_LINES ? "" : ` -n ${input.lines ?? 0}`}`;
  const note = taggedStreamNote(
    logs.filter((log) => log.exists),
    again,
  );
  if (note) ctx.io.err(note);
  return 0;
}

type ShownLog = { id: string; state: string; stream: "stdout" | "stderr"; text: string | null; otherBytes: number };

/**
 * Where to look when the stream shown says nothing, or the task failed: the other one, when it has anything (a
 * Python traceback and tqdm's progress go to stderr). `again` is the command that showed this one.
 */
export function otherStreamNote(log: ShownLog, again: string): string | undefined {
  if (!otherStreamHelps(log)) return undefined;
  const other = otherStream(log);
  const size = log.otherBytes < 1024 ? plural(log.otherBytes, "byte") : formatBytes(log.otherBytes);
  const what = log.text === "" ? `wrote nothing to ${log.stream}` : log.state;
  return `rv: task ${log.id} ${what}; its ${other} has ${size}: ${showing(other, again)}\n`;
}

/**
 * `rv logs --tag`'s one line for all the tasks shown whose other stream is where to look (otherStreamNote's rule),
 * naming the first few: after the blocks, not between them.
 */
export function taggedStreamNote(logs: (ShownLog & { name?: string | null })[], again: string): string | undefined {
  const helped = logs.filter(otherStreamHelps);
  const [first] = helped;
  if (!first) return undefined;
  const other = otherStream(first);
  const named = firstFew(helped.map((log) => log.name ?? log.id));
  return `rv: ${plural(helped.length, "task")} failed or wrote nothing to ${first.stream}, and ${other} has more (${named}): ${showing(other, again)}\n`;
}

/** The command that showed one stream (`again`, of stdout unless told), made to show `stream`. */
function showing(stream: "stdout" | "stderr", again: string): string {
  return stream === "stderr" ? `${again} --stderr` : again;
}

function otherStreamHelps(log: ShownLog): boolean {
  const silent = log.text === "";
  const failed = log.stream === "stdout" && (log.state === "failed" || log.state === "lost");
  return log.otherBytes > 0 && (silent || failed);
}

function otherStream(log: ShownLog): "stdout" | "stderr" {
  return log.stream === "stdout" ? "stderr" : "stdout";
}

/** A task that never started never will have logs; one that waits has none yet. */
function noLogWhy(state: string, stream: string): string {
  if (state === "dep_failed" || state === "cancelled") return `it never started, so it has no ${stream}`;
  if (state === "unknown") return `its done record cannot be read, and no ${stream} of it was found`;
  return `it has no ${stream} yet`;
}
