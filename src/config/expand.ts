import { RvError } from "../errors.ts";

/**
 * `${VAR}` and `${VAR:-default}` in the strings of rv.toml and .env (docs/experiments.md, "A project file").
 * Pure: text and variables in, text out. `$$` is a literal `$` (not `\$`, which a TOML basic string refuses as
 * an escape); a `$` before anything else is left as typed, so `$HOME` reaches a shell job's bash untouched.
 */

/** Where a value was written, so that an error about it names the file, the line and the key. */
export interface Where {
  file: string;
  line: number | null;
  key: string;
}

/** Where a value came from, highest precedence first; `default` is rv's own. */
export const ORIGINS = ["flag", "job", "project", ".env", "env", "default"] as const;
export type Origin = (typeof ORIGINS)[number];

export interface Sourced<T> {
  value: T;
  origin: Origin;
  where?: Where;
}

export type Part = { kind: "text"; text: string } | { kind: "var"; name: string; fallback?: Part[] };

const NAME = /^[A-Za-z_][A-Za-z0-9_]*/;

export function located(where: Where | undefined, message: string, hint?: string): RvError {
  const at = where ? `${where.file}${where.line ? ` (line ${where.line})` : ""}: ${where.key}: ` : "";
  return new RvError("usage", `${at}${message}`, { hint: hint ?? "see docs/experiments.md, A project file" });
}

/** The text as literal runs and variable references; a malformed `${` is an error naming `where`. */
export function parseTemplate(text: string, where?: Where): Part[] {
  return partsUntil(text, 0, false, where).parts;
}

function partsUntil(text: string, start: number, inBraces: boolean, where?: Where): { parts: Part[]; end: number } {
  const parts: Part[] = [];
  let literal = "";
  let i = start;
  while (i < text.length) {
    const c = text[i];
    if (inBraces && c === "}") break;
    if (c === "$" && text[i + 1] === "$") {
      literal += "$";
      i += 2;
    } else if (c === "$" && text[i + 1] === "{") {
      if (literal) parts.push({ kind: "text", text: literal });
      literal = "";
      const ref = reference(text, i + 2, where);
      parts.push(ref.part);
      i = ref.end;
    } else {
      literal += c;
      i++;
    }
  }
  if (literal) parts.push({ kind: "text", text: literal });
  return { parts, end: i };
}

/** After `${`: `NAME}` or `NAME:-DEFAULT}`, the default itself a template. */
function reference(text: string, start: number, where?: Where): { part: Part; end: number } {
  const name = NAME.exec(text.slice(start))?.[0];
  const bad = () =>
    located(
      where,
      `${JSON.stringify(text.slice(start - 2))}: expected \${NAME} or \${NAME:-default}`,
      "write $$ for a literal $",
    );
  if (name === undefined) throw bad();
  const after = start + name.length;
  if (text[after] === "}") return { part: { kind: "var", name }, end: after + 1 };
  if (!text.startsWith(":-", after)) throw bad();
  const fallback = partsUntil(text, after + 2, true, where);
  if (text[fallback.end] !== "}") throw bad();
  return { part: { kind: "var", name, fallback: fallback.parts }, end: fallback.end + 1 };
}

/** The names a template refers to, defaults included. */
export function referencedNames(parts: Part[]): string[] {
  return parts.flatMap((p) => (p.kind === "var" ? [p.name, ...referencedNames(p.fallback ?? [])] : []));
}

/**
 * Fills a parsed template: `lookup` gives a variable's value (undefined when unset); an unset or empty variable
 * takes its default; an unset one without a default is `unset(name)`'s error. `quote` wraps each value
 * (a shell job quotes them), never the literal text around it.
 */
export function fill(
  parts: Part[],
  lookup: (name: string) => string | undefined,
  unset: (name: string) => Error,
  quote: (value: string) => string = (value) => value,
): string {
  return parts
    .map((part) => {
      if (part.kind === "text") return part.text;
      const value = lookup(part.name);
      if (part.fallback && (value === undefined || value === "")) return fill(part.fallback, lookup, unset, quote);
      if (value === undefined) throw unset(part.name);
      return quote(value);
    })
    .join("");
}

const SHELL_SYNTAX = /[|&;<>`()]/;

/**
 * A `command` string split into words as a shell would (blanks separate; '...', "..." and \ quote), without a
 * shell: `${...}` stays whole inside a word, and each word is a template of its own, so a value never splits
 * a word. Unquoted shell syntax (`|`, `>`, `;` ...) is refused: without a shell it would be a plain argument.
 */
export function splitWords(text: string, where?: Where): string[] {
  const words: string[] = [];
  let word: string | null = null;
  let i = 0;
  const add = (s: string) => {
    word = (word ?? "") + s;
  };
  while (i < text.length) {
    const c = text[i] as string;
    if (/\s/.test(c)) {
      if (word !== null) words.push(word);
      word = null;
      i++;
    } else if (c === "'" || c === '"') {
      const close = closingQuote(text, i, where);
      add(c === "'" ? text.slice(i + 1, close) : text.slice(i + 1, close).replace(/\\(["\\])/g, "$1"));
      i = close + 1;
    } else if (c === "\\") {
      add(text[i + 1] ?? "");
      i += 2;
    } else if (c === "$" && text[i + 1] === "{") {
      const end = braceEnd(text, i + 2);
      add(text.slice(i, end));
      i = end;
    } else if (SHELL_SYNTAX.test(c)) {
      throw located(
        where,
        `${JSON.stringify(c)} is shell syntax, and a command runs without a shell`,
        `quote it to pass it as text, or write the job as shell = "..." to run it with bash`,
      );
    } else {
      add(c);
      i++;
    }
  }
  if (word !== null) words.push(word);
  return words;
}

function closingQuote(text: string, open: number, where?: Where): number {
  const quote = text[open];
  for (let i = open + 1; i < text.length; i++) {
    if (quote === '"' && text[i] === "\\") i++;
    else if (text[i] === quote) return i;
  }
  throw located(where, `an unclosed ${quote} quote`);
}

/** The index after the `}` that closes a `${` whose name starts at `start` (nested `${` included). */
function braceEnd(text: string, start: number): number {
  let depth = 1;
  for (let i = start; i < text.length; i++) {
    if (text[i] === "{") depth++;
    else if (text[i] === "}" && --depth === 0) return i + 1;
  }
  return text.length;
}

/**
 * A `shell` job's values go in as single-quoted words, which only stays one safe word outside double quotes:
 * inside "...", the quotes would be literal and `$(...)` in a value would run. Such a reference is refused.
 */
export function refuseInDoubleQuotes(script: string, where?: Where): void {
  let quote: "'" | '"' | null = null;
  for (let i = 0; i < script.length; i++) {
    const c = script[i];
    if (quote === "'") {
      if (c === "'") quote = null;
    } else if (c === "\\") i++;
    else if (c === "$" && script[i + 1] === "$") i++;
    else if (quote === '"' && c === "$" && script[i + 1] === "{") {
      throw located(
        where,
        'a variable inside double quotes: rv quotes each value as one word itself, and inside "..." that breaks',
        'write the reference outside the quotes, or pass the value in env and write "$NAME" in the script',
      );
    } else if (c === '"') quote = quote === '"' ? null : '"';
    else if (c === "'" && quote === null) quote = "'";
  }
}
