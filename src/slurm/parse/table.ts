import { issue, type ParseIssue } from "./issues.ts";

/**
 * Reads the tables squeue, sinfo, sacct and sshare print. A table is either `|`-separated (`-o 'a|b'`,
 * `--parsable2`) or aligned with spaces (the default views; only safe when no cell holds a space).
 *
 * The columns come from the header line when there is one (its first cell is a known header name), so the
 * same parser reads any format that prints known headers, in any order. Without a header the columns are
 * the ones of the format rv asks for (`spec.columns`). Pipe cells are kept verbatim (sshare's leading spaces
 * mean something); aligned cells are trimmed.
 */
export interface TableSpec {
  /** Header names (upper case) of the format rv asks for, in order; used when the output has no header. */
  columns: readonly string[];
  /** Other header names this parser understands (upper case), and aliases for truncated ones. */
  aliases?: Readonly<Record<string, string>>;
  /** The one free-text column (a job name, a reason) that may itself contain `|`: extra cells go back into it. */
  free?: string;
}

export interface TableRow {
  where: string;
  text: string;
  cells: Readonly<Record<string, string>>;
}

export function readTable(stdout: string, spec: TableSpec): { rows: TableRow[]; issues: ParseIssue[] } {
  const lines = stdout.split("\n").map((line) => line.replace(/\r$/, ""));
  const first = lines.findIndex((line) => line.trim() !== "");
  if (first < 0) return { rows: [], issues: [] };
  const head = headerOf(lines[first] ?? "", spec);
  const headers = head?.headers ?? spec.columns;
  const pipe = head?.pipe ?? true;
  const rows: TableRow[] = [];
  const issues: ParseIssue[] = [];
  for (let i = head ? first + 1 : first; i < lines.length; i++) {
    const text = lines[i] ?? "";
    if (text.trim() === "") continue;
    const where = `line ${i + 1}`;
    const cells = pipe ? fitPipe(text.split("|"), headers, spec.free) : fitAligned(text, headers);
    if (typeof cells === "string") issues.push(issue(where, text, cells, true));
    else rows.push({ where, text, cells: Object.fromEntries(headers.map((h, k) => [h, cells[k] ?? ""])) });
  }
  return { rows, issues };
}

function headerOf(line: string, spec: TableSpec): { headers: string[]; pipe: boolean } | null {
  const known = (name: string) => spec.columns.includes(name) || spec.aliases?.[name] !== undefined;
  const pipe = line.includes("|");
  const names = (pipe ? line.split("|") : line.trim().split(/\s+/)).map((cell) => cell.trim().toUpperCase());
  if (!known(names[0] ?? "")) return null;
  if (pipe && names.at(-1) === "") names.pop(); // `sacct -p` ends every line with '|'
  return { headers: names.map((name) => spec.aliases?.[name] ?? name), pipe };
}

function fitPipe(cells: string[], headers: readonly string[], free: string | undefined): string[] | string {
  if (cells.length === headers.length + 1 && cells.at(-1) === "") cells.pop();
  const extra = cells.length - headers.length;
  if (extra === 0) return cells;
  const at = free === undefined ? -1 : headers.indexOf(free);
  if (extra < 0 || at < 0) return `${cells.length} fields where ${headers.length} were expected`;
  return [...cells.slice(0, at), cells.slice(at, at + extra + 1).join("|"), ...cells.slice(at + extra + 1)];
}

/** Aligned rows may lack trailing cells (an empty NODELIST); extra words belong to the last column. */
function fitAligned(text: string, headers: readonly string[]): string[] {
  const words = text.trim().split(/\s+/);
  if (words.length <= headers.length) return words;
  const last = headers.length - 1;
  return [...words.slice(0, last), words.slice(last).join(" ")];
}
