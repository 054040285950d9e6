/**
 * What a name may hold. Two kinds, each checked where a name comes in (flags, `--from` lines, rv.toml, an op's
 * input), never where it is read back: a record an older rv wrote with such a name still reads.
 *
 * - A label (a task's name, a tag) is free text on one line: a newline or another control character would break
 *   every table, log line and `rv tasks` row it is shown in.
 * - A plain word (a lease's, a sweep's or a job's name) also becomes a directory name, a Slurm job name and a word
 *   on a command line: letters, digits, '.', '_' and '-', starting with a letter or digit.
 */
import { z } from "../zod.ts";

const PLAIN_WORD = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;
export const PLAIN_WORD_RULE = "use letters, digits, '.', '_' and '-', starting with a letter or digit";

const NAMED: Record<string, string> = {
  "\n": "a newline (\\n)",
  "\r": "a carriage return (\\r)",
  "\t": "a tab (\\t)",
  "\u001b": "an escape (\\e)",
  "\u0000": "a NUL byte",
  " ": "a space",
};

/** A character as a message names it: `a newline (\n)`, `control character U+0007`, `'/'`. */
export function characterName(c: string): string {
  const named = NAMED[c];
  if (named !== undefined) return named;
  if (isControl(c)) return `control character U+${(c.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  return `'${c}'`;
}

/** C0, DEL and C1 control characters. */
function isControl(c: string): boolean {
  return /\p{Cc}/u.test(c);
}

/** Why `text` cannot be a label (a task's name, a tag), or `undefined` when it can. */
export function labelProblem(text: string): string | undefined {
  if (text === "") return "must not be empty";
  const bad = [...text].find(isControl);
  return bad === undefined
    ? undefined
    : `${JSON.stringify(text)} has ${characterName(bad)} in it (a name or tag is one line of text)`;
}

/** Why `text` cannot be a plain word (a lease's, sweep's or job's name), or `undefined` when it can. */
export function plainWordProblem(text: string): string | undefined {
  if (PLAIN_WORD.test(text)) return undefined;
  if (text === "") return "must not be empty";
  const chars = [...text];
  const at = chars.findIndex((c, i) => !(i === 0 ? /^[A-Za-z0-9]$/ : /^[A-Za-z0-9._-]$/).test(c));
  const bad = characterName(chars[at] ?? "");
  return `${JSON.stringify(text)} ${at === 0 ? `starts with ${bad}` : `has ${bad} in it`}`;
}

/** A label in a schema: a task's name or a tag, as a flag, a `--from` line or rv.toml gives it. */
export const LabelSchema = z.string().check(
  z.superRefine((text, ctx) => {
    const problem = labelProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem });
  }),
);

/** A plain word in a schema; `what` names it in the message ("a job's name"). */
export function plainWordSchema(what: string) {
  return z.string().check(
    z.superRefine((text, ctx) => {
      const problem = plainWordProblem(text);
      if (problem !== undefined) ctx.addIssue({ code: "custom", message: `${what} ${problem}: ${PLAIN_WORD_RULE}` });
    }),
  );
}
