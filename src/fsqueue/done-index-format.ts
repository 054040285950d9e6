import type { Stats } from "node:fs";
import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";
import { type Done, DoneSchema, type Task, TaskSchema } from "./schema.ts";

/**
 * `done.index.jsonl`: every `done/` record as one line, so a reader of a long history opens one file, not one per
 * task. It is a cache a reader builds, never the truth: the `done/` records are, and nothing but a reader writes
 * it (a runner's finish is unchanged, so no crash of a writer can leave it wrong; it is only behind).
 *
 * It is trusted whole while `done/` has not changed since it was built: the directory's mtime is what it was
 * (every publish, replacement by rename, and unlink in `done/` changes it; nothing in `done/` is edited in place,
 * invariant 4), and that mtime was old when the build began, by the filesystem's own clock (racy-git's rule: a
 * change in the same clock tick as the mtime read would not move it). Both times are the file server's, compared
 * with each other only, never with this host's clock. Behind, it is brought up to date (done-index-build.ts): each
 * line carries its record file's stat (`stat`), and a line whose file still stats the same is kept unread.
 */
export interface DoneIndexHeader {
  v: 1;
  kind: "done-index";
  /** `done/`'s mtime (ns, as a string) read before it was listed. */
  dirMtimeNs: string;
  /** That mtime was older than the build by at least RACY_MARGIN_NS (server clock): a later change moves it. */
  settled: boolean;
  /** How many lines follow: fewer means a torn file. */
  count: number;
  /** How many bytes follow the header's line: a reader of the header alone still knows the file is whole. */
  bytes: number;
  /** The records by how they ended, from done/ alone: a task with a newer copy waiting or running is in them too. */
  counts: DoneCounts;
  /**
   * The ids of the newest NEWEST_IN_HEADER records, oldest first: the default task list then lists no `done/`.
   * Absent in indexes written before it was.
   */
  newest?: string[];
  /**
   * The lines are in id order, done and unreadable alike: a listing streams them as they are read, holding one at
   * a time. Only an index that says so is streamed; one written before it was is rebuilt by the next listing.
   */
  sorted?: true;
}

/** How many of the newest ids the header keeps: `rv tasks` shows 20 by default. */
export const NEWEST_IN_HEADER = 100;

/** A task as the task list and `rv status` show it: its record less its env and what only a runner reads. */
export const TaskSummarySchema = deferred(() =>
  z.pick(TaskSchema, {
    v: true,
    id: true,
    lease: true,
    name: true,
    command: true,
    cwd: true,
    gpus: true,
    cpus: true,
    attempt: true,
    submittedAt: true,
    tags: true,
    note: true,
    sweep: true,
    retry: true,
    retried: true,
    after: true,
  }),
);
export type TaskSummary = z.infer<typeof TaskSummarySchema>;

/** A done record as the views read it (lease/state.ts): `rv show` and `rv logs` open the record itself. */
export const DoneSummarySchema = deferred(() =>
  z.extend(
    z.pick(DoneSchema, {
      v: true,
      state: true,
      exitCode: true,
      signal: true,
      reason: true,
      depFailed: true,
      startedAt: true,
      endedAt: true,
      runner: true,
      host: true,
      gpus: true,
    }),
    { task: TaskSummarySchema },
  ),
);
export type DoneSummary = z.infer<typeof DoneSummarySchema>;

/**
 * A `done/` record that does not parse: the task ended, but how is not known. It stays where it is: a reader cannot
 * hold off a writer replacing it (a requeued attempt that ends), so moving it aside could move a good record, and
 * in `bad/` the task would vanish from every listing. `task` is the task as the record still says it, if it does.
 */
export interface UnreadableDone {
  id: string;
  file: string;
  reason: string;
  task: Task | null;
}

export type UnreadableSummary = Omit<UnreadableDone, "task"> & { task: TaskSummary | null };
export type DoneIndexLine = { done: DoneSummary } | { unreadable: UnreadableSummary };

/** How a done record says its task ended, as the views name it, and `unknown` for one that does not parse. */
export type DoneEnd = "succeeded" | "failed" | "cancelled" | "dep_failed" | "unknown";
export type DoneCounts = Record<DoneEnd, number>;

export function doneEnd(done: Pick<Done, "state" | "depFailed">): DoneEnd {
  return done.depFailed === undefined ? done.state : "dep_failed";
}

/** The record's fields the schema names, and no others: the task's schema is loose, so parsing would keep them all. */
function only<T>(schema: { shape: object }, record: object): T {
  const keys = Object.keys(schema.shape).filter((key) => key in record);
  return Object.fromEntries(keys.map((key) => [key, (record as Record<string, unknown>)[key]])) as T;
}

export function summarizeDone(done: Done): DoneSummary {
  return { ...only<DoneSummary>(DoneSummarySchema, done), task: only<TaskSummary>(TaskSummarySchema, done.task) };
}

export function summarizeUnreadable(bad: UnreadableDone): UnreadableSummary {
  return { ...bad, task: bad.task && only<TaskSummary>(TaskSummarySchema, bad.task) };
}

export function lineEnd(line: DoneIndexLine): DoneEnd {
  return "done" in line ? doneEnd(line.done) : "unknown";
}

export function countDone(ends: Iterable<DoneEnd>): DoneCounts {
  const counts: DoneCounts = { succeeded: 0, failed: 0, cancelled: 0, dep_failed: 0, unknown: 0 };
  for (const end of ends) counts[end]++;
  return counts;
}

/** The task a line is of. */
export function lineId(line: DoneIndexLine): string {
  return "done" in line ? line.done.task.id : line.unreadable.id;
}

/** NFS servers and some filesystems keep mtimes to the second; two seconds is past any tick. */
export const RACY_MARGIN_NS = 2_000_000_000n;

/**
 * Whether an index can stand for `done/`: it is as long as its header says (its line, a newline, `bytes` more), was
 * built when `done/` had stood still, and `done/` has not changed since. Anything else (missing, torn, garbage,
 * behind) is brought up to date from the records (refreshDoneIndex).
 */
export function headerTrusted(header: DoneIndexHeader | undefined, fileBytes: number, dirMtimeNs: bigint): boolean {
  if (header === undefined) return false;
  const whole = fileBytes === Buffer.byteLength(JSON.stringify(header)) + 1 + header.bytes;
  return whole && header.settled && header.dirMtimeNs === String(dirMtimeNs);
}

/** Whether an mtime (or ctime) read at `buildStartNs` (server clock) had settled: a change after it gets a later one. */
export function mtimeSettled(timeNs: bigint, buildStartNs: bigint): boolean {
  return buildStartNs - timeNs >= RACY_MARGIN_NS;
}

/** Throws when the line is not JSON. */
export function parseHeader(line: string): DoneIndexHeader | undefined {
  const header = JSON.parse(line) as DoneIndexHeader | null;
  const known = header?.v === 1 && header.kind === "done-index" && typeof header.dirMtimeNs === "string";
  return known && typeof header.bytes === "number" && typeof header.counts === "object" ? header : undefined;
}

/** An index line: a `done` whose task has a string id, or an `unreadable` with one; undefined for anything else. */
export function parseLine(text: string): DoneIndexLine | undefined {
  try {
    const line = JSON.parse(text) as Partial<{ done: Partial<DoneSummary>; unreadable: Partial<UnreadableSummary> }>;
    if (typeof line !== "object" || line === null) return undefined;
    const id = "done" in line ? line.done?.task?.id : line.unreadable?.id;
    if (typeof id === "string") return line as DoneIndexLine;
  } catch {}
  return undefined;
}

/** A record file's identity as one stat tells it: a record renamed over it is another inode or changed later. */
export function statStamp(stat: Stats): string {
  return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}`;
}

const RACY_MARGIN_MS = Number(RACY_MARGIN_NS / 1_000_000n);

/**
 * Whether a file's stamp can vouch for it at the next refresh: its ctime and mtime are a full racy margin older than
 * the build's start (the server's clock), where no coarse clock gives its replacement the same times. A replacement
 * made while the file exists is another inode; one made once it is gone is made after the build began.
 */
export function stampVouches(stat: Stats, buildStartMs: number): boolean {
  return buildStartMs - stat.ctimeMs >= RACY_MARGIN_MS && buildStartMs - stat.mtimeMs >= RACY_MARGIN_MS;
}

/**
 * A line as the index holds it: its task's id, how it ended and its record file's stamp first, so a refresh reads
 * them off the line's start without parsing the rest (lineFacts), then the line itself.
 */
export function lineText(line: DoneIndexLine, stamp: string | undefined): Buffer {
  const facts = { id: lineId(line), end: lineEnd(line), ...(stamp !== undefined && { stat: stamp }) };
  const body = "done" in line ? { done: line.done } : { unreadable: line.unreadable };
  return Buffer.from(`${JSON.stringify({ ...facts, ...body })}\n`);
}

export interface LineFacts {
  id: string;
  end: DoneEnd;
  stat?: string;
}

const QUOTE = 34;
const ID_AT = Buffer.from('{"id":"');
const END_AT = Buffer.from('","end":"');
const STAT_AT = Buffer.from('","stat":"');
const ENDS = new Set<string>(["succeeded", "failed", "cancelled", "dep_failed", "unknown"] satisfies DoneEnd[]);

/**
 * What lineText put first on the line `bytes[start, end)`, read off its bytes; undefined for a line without them
 * (written before they were, or damaged) or with an id JSON escapes (its record is read instead).
 */
export function lineFacts(bytes: Buffer, start: number, end: number): LineFacts | undefined {
  const field = (at: number, name: Buffer): { value: string; after: number } | undefined => {
    if (at + name.length > end || bytes.compare(name, 0, name.length, at, at + name.length) !== 0) return undefined;
    const close = bytes.indexOf(QUOTE, at + name.length);
    if (close < 0 || close >= end) return undefined;
    const value = bytes.toString("latin1", at + name.length, close);
    return value.includes("\\") ? undefined : { value, after: close };
  };
  const id = field(start, ID_AT);
  const ended = id && field(id.after, END_AT);
  if (!id || !ended || !ENDS.has(ended.value)) return undefined;
  const stat = field(ended.after, STAT_AT);
  return { id: id.value, end: ended.value as DoneEnd, ...(stat && { stat: stat.value }) };
}
