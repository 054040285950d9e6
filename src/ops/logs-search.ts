import { existsSync, statSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { leasePaths, taskLogFile } from "../fsqueue/index.ts";
import { z } from "../zod.ts";
import { latestLoggedAttempt, readLogTail } from "./log-tail.ts";
import { defineOp } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { selectedViews } from "./select.ts";

/** A log larger than this is searched in its last part only, and the answer says which ones were. */
const SEARCHED_BYTES = 64 * 1024 * 1024;

const MatchSchema = deferred(() =>
  z.object({
    id: z.string(),
    lease: z.string(),
    name: z.nullable(z.string()),
    attempt: z.int(),
    stream: z.enum(["stdout", "stderr"]),
    /** Counted from the start of the part searched (the whole log unless it is in `partial`). */
    line: z.int(),
    text: z.string(),
  }),
);
export type LogMatch = z.infer<typeof MatchSchema>;

/** The lines of `text` that `pattern` matches, numbered from 1, at most `max` of them. */
export function grepLines(text: string, pattern: RegExp, max: number): { line: number; text: string }[] {
  const found: { line: number; text: string }[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length && found.length < max; i++) {
    const line = lines[i] as string;
    if (pattern.test(line)) found.push({ line: i + 1, text: line.length > 500 ? `${line.slice(0, 500)}…` : line });
  }
  return found;
}

export function searchPattern(pattern: string, ignoreCase: boolean): RegExp {
  try {
    return new RegExp(pattern, ignoreCase ? "i" : "");
  } catch (error) {
    throw new RvError("usage", `--search ${JSON.stringify(pattern)}: ${(error as Error).message}`, {
      hint: "a JavaScript regular expression, e.g. 'loss=\\d' or 'CUDA out of memory'",
    });
  }
}

/**
 * `rv logs --search PATTERN`: the matching lines of the newest attempt's stdout and stderr of every selected task,
 * searched where the logs are (on the login node for a cluster lease): one round trip, however many tasks.
 */
export const logsSearchOp = defineOp({
  name: "logs-search",
  input: deferred(() =>
    z.object({
      select: TaskSelectionSchema,
      pattern: z.string().check(z.minLength(1)),
      ignoreCase: z._default(z.boolean(), false),
      max: z._default(z.int().check(z.positive()), 1000),
    }),
  ),
  result: deferred(() =>
    z.object({
      matches: z.array(MatchSchema),
      /** More lines matched than `max`. */
      truncated: z.boolean(),
      searched: z.int(),
      /** Tasks whose log was larger than rv searches: only its last 64 MB was. */
      partial: z.array(z.string()),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  run(env, input) {
    const pattern = searchPattern(input.pattern, input.ignoreCase);
    const { views, elsewhere } = selectedViews(env, input.select, () => true);
    const matches: LogMatch[] = [];
    const partial: string[] = [];
    for (const view of views) {
      const p = leasePaths(env.root, view.lease);
      for (const stream of ["out", "err"] as const) {
        const attempt = latestLoggedAttempt(p, view.id, view.attempt, stream);
        const file = taskLogFile(p, view.id, attempt, stream);
        if (!existsSync(file) || matches.length > input.max) continue;
        if (statSync(file).size > SEARCHED_BYTES) partial.push(view.id);
        const { text } = readLogTail(p, view.id, attempt, stream, SEARCHED_BYTES);
        for (const found of grepLines(text, pattern, input.max + 1 - matches.length)) {
          const where = { id: view.id, lease: view.lease, name: view.name, attempt };
          matches.push({ ...where, stream: stream === "out" ? "stdout" : "stderr", ...found });
        }
      }
    }
    const truncated = matches.length > input.max;
    return {
      matches: matches.slice(0, input.max),
      truncated,
      searched: views.length,
      partial: [...new Set(partial)],
      elsewhere,
    };
  },
});
