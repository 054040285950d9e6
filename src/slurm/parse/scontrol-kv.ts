import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { issue, type ParseIssue, type Records } from "./issues.ts";

/**
 * The key=value text of `scontrol show job|partition|node` (22.05 has no `scontrol --json`).
 *
 * Records are separated by blank lines; a record's first line starts at column 0 and its other lines are
 * indented (with `-o`, each record is one line). A line holds `Key=value` pairs separated by spaces; a value
 * runs until the next ` Key=`, so a value may hold spaces (`Reason=ReqNodeNotAvail, UnavailableNodes:x`) and
 * `=` (`TRES=cpu=1,mem=2000M`). Keys may hold `:` and `/` (`AllocNode:Sid`, `Socks/Node`). A few keys take the
 * rest of their line whatever it holds (`Command=`, `Reason=` of a node, `OS=`), when they start the line.
 * Text before the first key of a line is reported and dropped.
 */
export const KvRecordSchema = deferred(() =>
  z.object({
    where: z.string(),
    fields: z.record(z.string(), z.string()),
  }),
);
export type KvRecord = z.infer<typeof KvRecordSchema>;

export const REST_OF_LINE_KEYS: ReadonlySet<string> = new Set([
  "Command",
  "WorkDir",
  "StdErr",
  "StdIn",
  "StdOut",
  "Comment",
  "AdminComment",
  "SystemComment",
  "Reason",
  "OS",
]);

const keyStart = /(^|\s)([A-Za-z][A-Za-z0-9_:/]*)=/g;

export function parseKeyValueRecords(stdout: string, restKeys = REST_OF_LINE_KEYS): Records<KvRecord> {
  const records: KvRecord[] = [];
  const issues: ParseIssue[] = [];
  let current: KvRecord | null = null;
  const lines = stdout.split("\n");
  for (const [i, rawLine] of lines.entries()) {
    const line = rawLine.replace(/\r$/, "");
    const startsRecord = line !== "" && !/^\s/.test(line);
    if (line.trim() === "" || startsRecord) {
      if (current && Object.keys(current.fields).length > 0) records.push(current);
      current = null;
    }
    if (line.trim() === "") continue;
    current ??= { where: `line ${i + 1}`, fields: {} };
    const stray = readLine(line.trim(), restKeys, current.fields);
    if (stray) issues.push(issue(`line ${i + 1}`, line, `text outside any key: "${stray}"`, false));
  }
  if (current && Object.keys(current.fields).length > 0) records.push(current);
  return { records, issues };
}

/** Adds the line's pairs to `into`; returns text found before the first key, if any. */
function readLine(text: string, restKeys: ReadonlySet<string>, into: Record<string, string>): string {
  const head = /^([A-Za-z][A-Za-z0-9_:/]*)=(.*)$/.exec(text);
  if (head?.[1] && restKeys.has(head[1])) {
    into[head[1]] = (head[2] ?? "").trimEnd();
    return "";
  }
  const starts = [...text.matchAll(keyStart)].map((m) => ({
    key: m[2] ?? "",
    at: m.index + (m[1] ?? "").length,
    value: m.index + m[0].length,
  }));
  for (const [k, s] of starts.entries()) {
    into[s.key] = text.slice(s.value, starts[k + 1]?.at ?? text.length).trim();
  }
  return text.slice(0, starts[0]?.at ?? text.length).trim();
}
