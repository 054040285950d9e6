import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { z } from "zod";
import { randomSuffix } from "./ids.ts";
import type { LeasePaths } from "./paths.ts";
import { type Done, DoneSchema, type Task, TaskSchema } from "./schema.ts";

/**
 * `done.index.jsonl`: every `done/` record as one line, so a reader of a long history opens one file, not one per
 * task. It is a cache a reader builds, never the truth: the `done/` records are, and nothing but a reader writes
 * it (a runner's finish is unchanged, so no crash of a writer can leave it wrong; it is only behind).
 *
 * It is trusted only while `done/` has not changed since it was built: the directory's mtime is what it was
 * (every publish, replacement by rename, and unlink in `done/` changes it; nothing in `done/` is edited in place,
 * invariant 4), and that mtime was old when the build began, by the filesystem's own clock (racy-git's rule: a
 * change in the same clock tick as the mtime read would not move it). Both times are the file server's, compared
 * with each other only, never with this host's clock.
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
}

/** How many of the newest ids the header keeps: `rv tasks` shows 20 by default. */
export const NEWEST_IN_HEADER = 100;

/** A task as the task list and `rv status` show it: its record less its env and what only a runner reads. */
export const TaskSummarySchema = TaskSchema.pick({
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
});
export type TaskSummary = z.infer<typeof TaskSummarySchema>;

/** A done record as the views read it (lease/state.ts): `rv show` and `rv logs` open the record itself. */
export const DoneSummarySchema = DoneSchema.pick({
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
}).extend({ task: TaskSummarySchema });
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

function summarizeUnreadable(bad: UnreadableDone): UnreadableSummary {
  return { ...bad, task: bad.task && only<TaskSummary>(TaskSummarySchema, bad.task) };
}

export function countDone(read: { done: Pick<Done, "state" | "depFailed">[]; unreadable: unknown[] }): DoneCounts {
  const counts: DoneCounts = { succeeded: 0, failed: 0, cancelled: 0, dep_failed: 0, unknown: read.unreadable.length };
  for (const done of read.done) counts[doneEnd(done)]++;
  return counts;
}

/** NFS servers and some filesystems keep mtimes to the second; two seconds is past any tick. */
export const RACY_MARGIN_NS = 2_000_000_000n;

/**
 * Whether an index can stand for `done/`: it parsed whole, was built when `done/` had stood still, and `done/` has
 * not changed since. Anything else (missing, torn, garbage, behind) is a rebuild from the records.
 */
export function indexTrusted(header: DoneIndexHeader | undefined, lines: number, dirMtimeNs: bigint): boolean {
  if (header === undefined) return false;
  return header.settled && header.count === lines && header.dirMtimeNs === String(dirMtimeNs);
}

/** The header alone can stand for `done/` when the file is as long as it says, besides the rest of indexTrusted. */
export function headerTrusted(header: DoneIndexHeader | undefined, fileBytes: number, dirMtimeNs: bigint): boolean {
  if (header === undefined) return false;
  const whole = fileBytes === Buffer.byteLength(JSON.stringify(header)) + 1 + header.bytes;
  return whole && header.settled && header.dirMtimeNs === String(dirMtimeNs);
}

/** Whether a `done/` mtime read at `buildStartNs` (server clock) had settled: a change after it gets a later one. */
export function mtimeSettled(dirMtimeNs: bigint, buildStartNs: bigint): boolean {
  return buildStartNs - dirMtimeNs >= RACY_MARGIN_NS;
}

/** The index's header and entries, or undefined when it is missing or does not parse whole. */
export function parseDoneIndex(text: string): { header: DoneIndexHeader; entries: DoneIndexLine[] } | undefined {
  const lines = text.split("\n");
  if (lines.at(-1) !== "") return undefined; // torn: every line, the last too, ends with a newline
  lines.pop();
  try {
    const header = parseHeader(lines[0] ?? "");
    if (header === undefined) return undefined;
    const entries = lines.slice(1).map((line) => JSON.parse(line) as DoneIndexLine);
    if (entries.some((e) => e === null || typeof e !== "object" || !("done" in e || "unreadable" in e))) {
      return undefined;
    }
    return { header, entries };
  } catch {
    return undefined;
  }
}

function parseHeader(line: string): DoneIndexHeader | undefined {
  const header = JSON.parse(line) as DoneIndexHeader | null;
  const known = header?.v === 1 && header.kind === "done-index" && typeof header.dirMtimeNs === "string";
  return known && typeof header.bytes === "number" && typeof header.counts === "object" ? header : undefined;
}

/** The index's header line and the file's length, reading no more of it than the header's line. */
function readHeader(p: LeasePaths): { header: DoneIndexHeader; fileBytes: number } | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(p.doneIndex, "r");
    const fileBytes = fstatSync(fd).size;
    const chunk = Buffer.alloc(Math.min(fileBytes, 64 * 1024));
    const end = chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, 0)).indexOf(10);
    const header = end < 0 ? undefined : parseHeader(chunk.subarray(0, end).toString("utf8"));
    return header && { header, fileBytes };
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * `done/` counted by how its records ended, from the index's header alone while it is trusted (`rv status` reads
 * no record); undefined otherwise, and the caller reads the records (which writes the index anew).
 */
export function readDoneCounts(p: LeasePaths): DoneCounts | undefined {
  return readTrustedHeader(p)?.header.counts;
}

/**
 * The newest ids of `done/` and how many records it holds, from the index's header alone while it is trusted;
 * undefined otherwise. `unchanged()` tells whether `done/` is still as the header has it, for a caller that
 * listed other directories meanwhile.
 */
export function readDoneNewest(
  p: LeasePaths,
): { newest: string[]; total: number; unchanged: () => boolean } | undefined {
  const trusted = readTrustedHeader(p);
  const newest = trusted?.header.newest;
  if (!trusted || !newest) return undefined;
  return { newest, total: trusted.header.count, unchanged: () => dirMtimeNs(p.done) === trusted.dirMtimeNs };
}

function readTrustedHeader(p: LeasePaths): { header: DoneIndexHeader; dirMtimeNs: bigint } | undefined {
  const now = dirMtimeNs(p.done);
  const read = now === undefined ? undefined : readHeader(p);
  return now !== undefined && read && headerTrusted(read.header, read.fileBytes, now)
    ? { header: read.header, dirMtimeNs: now }
    : undefined;
}

function readIndexText(p: LeasePaths): string | undefined {
  try {
    return readFileSync(p.doneIndex, "utf8");
  } catch {
    return undefined;
  }
}

function dirMtimeNs(dir: string): bigint | undefined {
  try {
    return statSync(dir, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
}

/**
 * `done/` as the index has it when it is trusted; otherwise `scan()` reads the records, and the index is written
 * anew (staged in `tmp/`, renamed into place: a reader sees the old index or the new one whole). The staging file
 * is opened before `done/` is looked at, so its mtime dates the build on the server's clock.
 */
export function readDoneIndexed(
  p: LeasePaths,
  scan: () => { done: Done[]; unreadable: UnreadableDone[] },
): { done: DoneSummary[]; unreadable: UnreadableSummary[] } {
  const now = dirMtimeNs(p.done);
  const text = now === undefined ? undefined : readIndexText(p);
  const parsed = text === undefined ? undefined : parseDoneIndex(text);
  if (now !== undefined && parsed && indexTrusted(parsed.header, parsed.entries.length, now)) {
    const done: DoneSummary[] = [];
    const unreadable: UnreadableSummary[] = [];
    for (const e of parsed.entries) "done" in e ? done.push(e.done) : unreadable.push(e.unreadable);
    return { done, unreadable };
  }
  const staging = openStaging(p);
  const before = dirMtimeNs(p.done);
  const scanned = scan();
  const read = { done: scanned.done.map(summarizeDone), unreadable: scanned.unreadable.map(summarizeUnreadable) };
  if (staging) writeIndex(p, staging, before, read);
  return read;
}

interface Staging {
  file: string;
  fd: number;
  startNs: bigint;
}

/** A reader that cannot write (a read-only mount, another user's lease) reads the records and writes no index. */
function openStaging(p: LeasePaths): Staging | undefined {
  const file = join(p.tmp, `${basename(p.doneIndex)}.${process.pid}.${randomSuffix(6)}`);
  try {
    const fd = openSync(file, "wx", 0o600);
    return { file, fd, startNs: fstatSync(fd, { bigint: true }).mtimeNs };
  } catch {
    return undefined;
  }
}

function writeIndex(
  p: LeasePaths,
  staging: Staging,
  before: bigint | undefined,
  read: { done: DoneSummary[]; unreadable: UnreadableSummary[] },
): void {
  if (before === undefined) {
    discard(staging); // no done/ yet: nothing to index
    return;
  }
  const lines = [
    ...read.done.map((done) => JSON.stringify({ done })),
    ...read.unreadable.map((unreadable) => JSON.stringify({ unreadable })),
  ];
  const body = lines.length === 0 ? "" : `${lines.join("\n")}\n`;
  const header: DoneIndexHeader = {
    v: 1,
    kind: "done-index",
    dirMtimeNs: String(before),
    settled: mtimeSettled(before, staging.startNs),
    count: lines.length,
    bytes: Buffer.byteLength(body),
    counts: countDone(read),
    newest: newestIds(read, NEWEST_IN_HEADER),
  };
  try {
    const bytes = Buffer.from(`${JSON.stringify(header)}\n${body}`);
    let written = 0;
    while (written < bytes.length) written += writeSync(staging.fd, bytes, written);
    fsyncSync(staging.fd);
    closeSync(staging.fd);
    renameSync(staging.file, p.doneIndex);
  } catch {
    discard(staging); // only a cache: the next reader builds it again
  }
}

function newestIds(read: { done: DoneSummary[]; unreadable: UnreadableSummary[] }, count: number): string[] {
  const ids = [...read.done.map((d) => d.task.id), ...read.unreadable.map((u) => u.id)];
  return ids.sort().slice(-count);
}

function discard(staging: Staging): void {
  try {
    closeSync(staging.fd);
  } catch {}
  try {
    unlinkSync(staging.file);
  } catch {}
}
