import { eastAsianWidth } from "get-east-asian-width";
import { asRvError, type RvError } from "../errors.ts";
import type { Io } from "./io.ts";

export const OUTPUT_VERSION = 1;

/** What a person is told of an error rv did not throw on purpose. */
const BUG_HINT = "this is a bug in rv; the stack trace is in RV_DEBUG=1 output";

/**
 * A command's error as rv reports it, wherever it is printed (main.ts, and printJsonList's after output began): an
 * RvError (one rv did not throw on purpose is a bug), its stack written to stderr under RV_DEBUG=1.
 */
export function reportedError(io: Io, error: unknown): RvError {
  if (process.env.RV_DEBUG && error instanceof Error) io.err(`${error.stack}\n`);
  return asRvError(error, BUG_HINT);
}

/**
 * The one `--json` writer: every command's JSON is an object carrying the output version `v`. Indented
 * for a person at a terminal, one line for a program (10,000 tasks print several times faster).
 */
export function printJson(io: Io, data: Record<string, unknown>): void {
  io.out(`${JSON.stringify({ v: OUTPUT_VERSION, ...data }, null, io.isTTY ? 2 : undefined)}\n`);
}

/** How much of a listing is written at a time: the memory its text holds, however long it is. */
const LIST_CHUNK_CHARS = 64 * 1024;

/**
 * printJson of `{ [key]: items, ...rest(), ...known }` (`rest` is read once the items are): the same text, written a
 * chunk at a time as the items are read, so a listing of any length is never held whole. An error before any of it
 * went out is the command's, as with printJson; one after ends the document with `known` and an `error` member,
 * reported as a failed command's is (reportedError), and its exit code is returned (0 otherwise).
 */
export async function printJsonList(
  io: Io,
  key: string,
  items: Iterable<unknown>,
  rest: () => Record<string, unknown>,
  known: Record<string, unknown> = {},
): Promise<number> {
  const indent = io.isTTY ? 2 : undefined;
  const [nl, space, itemNl] = indent ? ["\n  ", " ", "\n    "] : ["", "", ""];
  let text = `{${nl}"v":${space}${OUTPUT_VERSION},${nl}${JSON.stringify(key)}:${space}[`;
  let began = false;
  let count = 0;
  let members: Record<string, unknown>;
  let exitCode = 0;
  try {
    for (const value of items) {
      const item = JSON.stringify(value, null, indent);
      text += `${count++ === 0 ? "" : ","}${itemNl}${indent ? item.replaceAll("\n", itemNl) : item}`;
      if (text.length >= LIST_CHUNK_CHARS) {
        io.out(text);
        began = true;
        text = "";
        await io.drained();
      }
    }
    members = { ...rest(), ...known };
  } catch (error) {
    if (!began) throw error;
    const rv = reportedError(io, error);
    members = { ...known, error: rv.toRecord() };
    exitCode = rv.exitCode;
  }
  const tail = JSON.stringify(members, null, indent);
  const end = tail === "{}" ? (indent ? "\n}" : "}") : `,${tail.slice(1)}`;
  io.out(`${text}${count > 0 ? nl : ""}]${end}\n`);
  return exitCode;
}

/**
 * Aligned columns; on a terminal the header is upper-cased, in a pipe it is left out. On a terminal narrower than
 * the table, the `cuttable` columns (free text: a name, a command; never a colored cell) give up room as fitWidths
 * says, and their cells are cut with an ellipsis; the others (ids, states, numbers) stay whole.
 */
export function renderTable(io: Io, header: string[], rows: string[][], cuttable: readonly string[] = []): string {
  const all = io.isTTY ? [header.map((h) => h.toUpperCase()), ...rows] : rows;
  if (all.length === 0) return "";
  // Each cell measured once: a listing of every task is a table of 100,000 rows.
  const measured = all.map((row) => row.map(displayWidth));
  // Not Math.max(...column): under Node a spread of 200,000 arguments overflows the stack.
  const natural = header.map((_, i) => measured.reduce((most, row) => Math.max(most, row[i] ?? 0), 0));
  const least = header.map((h) =>
    cuttable.includes(h) ? Math.max(h.length, MIN_CUT_COLUMNS) : Number.POSITIVE_INFINITY,
  );
  const widths = io.isTTY && io.columns ? fitWidths(natural, least, io.columns) : natural;
  return all
    .map((row, r) =>
      row
        .map((cell, i) => {
          const width = widths[i] ?? 0;
          const cellWidth = measured[r]?.[i] ?? 0;
          const shown = cellWidth > width ? cut(cell, width) : cell;
          if (i === row.length - 1) return shown;
          return shown + " ".repeat(width - (shown === cell ? cellWidth : displayWidth(shown)));
        })
        .join("  ")
        .trimEnd(),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** A cuttable column is never cut below this (or its header), so what is left of it still says something. */
const MIN_CUT_COLUMNS = 8;

/**
 * Column widths that fit a table into `columns` (two spaces between columns): the widest column that may still give
 * up room (its width above `least`) gives up one, until the table fits or none can. The widest first, so a long
 * command is cut before a name is.
 */
export function fitWidths(natural: readonly number[], least: readonly number[], columns: number): number[] {
  const widths = [...natural];
  let excess = widths.reduce((sum, w) => sum + w, 2 * (widths.length - 1)) - columns;
  while (excess > 0) {
    let widest = -1;
    for (let i = 0; i < widths.length; i++) {
      const w = widths[i] ?? 0;
      if (w > (least[i] ?? Number.POSITIVE_INFINITY) && (widest < 0 || w > (widths[widest] ?? 0))) widest = i;
    }
    if (widest < 0) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    excess--;
  }
  return widths;
}

/** The columns a cell takes on a terminal: a wide character (CJK, most emoji) two, the color codes `paint` adds none. */
function displayWidth(text: string): number {
  const plain = text.replace(COLOR_CODES, "");
  if (PRINTABLE_ASCII.test(plain)) return plain.length;
  let width = 0;
  for (const c of plain) width += charWidth(c);
  return width;
}

const PRINTABLE_ASCII = /^[ -~]*$/;

function charWidth(c: string): number {
  return eastAsianWidth(c.codePointAt(0) ?? 0);
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: ESC begins the color codes paint writes
const COLOR_CODES = /\u001b\[[0-9;]*m/g;

/** How wide a name (a task's, a lease's, a tag) gets in a table; `--json` always has it whole. */
export const NAME_COLUMNS = 40;

/**
 * Free text as one table cell: a control character shown as its escape (a name an older rv took may hold a
 * newline, which would break the row), and cut to `width` columns with an ellipsis (a wide character is never split).
 */
export function cut(text: string, width = NAME_COLUMNS): string {
  const shown = text.replace(/\p{Cc}/gu, escapeControl);
  if (displayWidth(shown) <= width) return shown;
  let kept = "";
  let used = 0;
  for (const c of shown) {
    used += charWidth(c);
    if (used > width - 1) break;
    kept += c;
  }
  return `${kept}…`;
}

const ESCAPES: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeControl(c: string): string {
  return ESCAPES[c] ?? `\\u${(c.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`;
}

export function formatDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, "0")}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h${String(m % 60).padStart(2, "0")}m`;
  return `${Math.floor(h / 24)}d${String(h % 24).padStart(2, "0")}h`;
}

/** Sizes as `du -h` prints them (powers of 1024, one letter, no space: one cell in a pipe): 512K, 9.8M, 98M, 1.2G. */
export function formatBytes(bytes: number): string {
  const units = ["B", "K", "M", "G", "T", "P"];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  const digits = unit === 0 || value >= 10 ? Math.round(value).toString() : value.toFixed(1);
  return `${digits}${units[unit]}`;
}

/** Relative on a terminal, ISO in a pipe: scripts get stable text, people get "3m ago". */
export function formatTime(io: Io, iso: string | null | undefined, now: Date): string {
  if (!iso) return "-";
  return io.isTTY ? `${formatDuration(now.getTime() - Date.parse(iso))} ago` : iso;
}

const colors = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, dim: 2, bold: 1 } as const;
export type Color = keyof typeof colors;

export function paint(io: Io, color: Color, text: string): string {
  return io.color ? `\u001b[${colors[color]}m${text}\u001b[0m` : text;
}

/** Names in a one-line message: the first three, then how many more (`a, b, c and 2 more`). */
export function firstFew(names: readonly string[]): string {
  const few = names.slice(0, 3).join(", ");
  return names.length > 3 ? `${few} and ${names.length - 3} more` : few;
}

/** At a terminal, under a list cut to its newest: how many older ones are left out, and how to see them all. */
export function noteOlderNotShown(io: Io, shown: number, total: number, seeAll: string): void {
  if (io.isTTY && shown < total) io.err(paint(io, "dim", `… ${total - shown} older tasks not shown (${seeAll})\n`));
  if (io.isTTY && total === 0) io.err("no tasks\n");
}
