import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { basename, join } from "node:path";
import type { z } from "zod";
import { deferred } from "../deferred.ts";
import { jitAsUsual } from "../jit.ts";
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
  TaskSchema.pick({
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
  DoneSchema.pick({
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
  }).extend({ task: TaskSummarySchema }),
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

function summarizeUnreadable(bad: UnreadableDone): UnreadableSummary {
  return { ...bad, task: bad.task && only<TaskSummary>(TaskSummarySchema, bad.task) };
}

export function countDone(lines: DoneIndexLine[]): DoneCounts {
  const counts: DoneCounts = { succeeded: 0, failed: 0, cancelled: 0, dep_failed: 0, unknown: 0 };
  for (const line of lines) counts["done" in line ? doneEnd(line.done) : "unknown"]++;
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
 * behind) is a rebuild from the records.
 */
export function headerTrusted(header: DoneIndexHeader | undefined, fileBytes: number, dirMtimeNs: bigint): boolean {
  if (header === undefined) return false;
  const whole = fileBytes === Buffer.byteLength(JSON.stringify(header)) + 1 + header.bytes;
  return whole && header.settled && header.dirMtimeNs === String(dirMtimeNs);
}

/** Whether a `done/` mtime read at `buildStartNs` (server clock) had settled: a change after it gets a later one. */
export function mtimeSettled(dirMtimeNs: bigint, buildStartNs: bigint): boolean {
  return buildStartNs - dirMtimeNs >= RACY_MARGIN_NS;
}

/** The index's header, or undefined when there is none that parses: what a test or a person inspecting it reads. */
export function readDoneIndexHeader(p: LeasePaths): DoneIndexHeader | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(p.doneIndex, "r");
    return readHeaderOf(fd)?.header;
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Throws when the line is not JSON. */
function parseHeader(line: string): DoneIndexHeader | undefined {
  const header = JSON.parse(line) as DoneIndexHeader | null;
  const known = header?.v === 1 && header.kind === "done-index" && typeof header.dirMtimeNs === "string";
  return known && typeof header.bytes === "number" && typeof header.counts === "object" ? header : undefined;
}

/** The index's header line, its length and the file's, reading no more of the file than the header's line. */
function readHeaderOf(fd: number): { header: DoneIndexHeader; headerBytes: number; fileBytes: number } | undefined {
  const fileBytes = fstatSync(fd).size;
  const chunk = Buffer.alloc(Math.min(fileBytes, 64 * 1024));
  const end = chunk.subarray(0, readSync(fd, chunk, 0, chunk.length, 0)).indexOf(10);
  const header = end < 0 ? undefined : parseHeader(chunk.subarray(0, end).toString("utf8"));
  return header && { header, headerBytes: end + 1, fileBytes };
}

/** The index, open, with its header, while it can stand for `done/` (headerTrusted); undefined otherwise. */
function openTrusted(
  p: LeasePaths,
): { fd: number; header: DoneIndexHeader; start: number; dirMtimeNs: bigint } | undefined {
  const now = dirMtimeNs(p.done);
  if (now === undefined) return undefined;
  let fd: number | undefined;
  try {
    fd = openSync(p.doneIndex, "r");
    const read = readHeaderOf(fd);
    if (read && headerTrusted(read.header, read.fileBytes, now)) {
      const opened = { fd, header: read.header, start: read.headerBytes, dirMtimeNs: now };
      fd = undefined;
      return opened;
    }
    return undefined;
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
  const opened = openTrusted(p);
  if (opened) closeSync(opened.fd);
  return opened;
}

function dirMtimeNs(dir: string): bigint | undefined {
  try {
    return statSync(dir, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
}

/**
 * `done/` as the views read it, a line at a time in id order: from the index while it is trusted and sorted, read a
 * chunk at a time, so a history of any length is never held whole. Otherwise `scan()` reads the records and the
 * index is written anew (rebuild). An index found damaged partway (a line that is not one, out of order, a read
 * that fails: a damaged disk, a hand edit, ESTALE when another host renamed a rebuilt index over it) is removed, and
 * the listing goes on from the records after the last id it gave out: a listing never fails for a cache. `scan`
 * gives one record per task (readDone): the lines' ids are then strictly increasing, as a reader checks.
 */
export function* readDoneIndexed(
  p: LeasePaths,
  scan: () => { done: Done[]; unreadable: UnreadableDone[] },
): Generator<DoneIndexLine> {
  const index = openTrusted(p);
  if (!index?.header.sorted) {
    if (index) closeSync(index.fd);
    yield* rebuild(p, scan);
    return;
  }
  const damagedAfter = yield* indexLines(index.fd, index.header, index.start);
  if (damagedAfter === undefined) return;
  try {
    unlinkSync(p.doneIndex);
  } catch {}
  for (const line of rebuild(p, scan)) if (lineId(line) > damagedAfter) yield line;
}

/** How much of the index is read at a time: the memory a listing of any length holds for it. */
const CHUNK_BYTES = 1 << 20;

/**
 * The lines after the header, parsed one at a time; returns undefined once they are all read, or, on damage, the
 * last id given out ("" for none). The header said the file is whole (headerTrusted), and the index is written
 * whole before it is renamed into place, so a line that is not one, or is out of order, is damage. A line is given
 * out once the next is seen to come after it: two lines swapped are caught before either is, and the records give
 * both (a line moved far down still hides the ids it was moved past).
 */
function* indexLines(fd: number, header: DoneIndexHeader, start: number): Generator<DoneIndexLine, string | undefined> {
  let given = "";
  try {
    // A small index (one lease among many merged in one listing) takes no more than its size.
    const chunk = Buffer.allocUnsafe(Math.max(1, Math.min(CHUNK_BYTES, header.bytes)));
    let rest = Buffer.alloc(0);
    let position = start;
    let count = 0;
    let held: { line: DoneIndexLine; id: string } | undefined;
    for (let read = readSync(fd, chunk, 0, chunk.length, position); read > 0; ) {
      position += read;
      const data = rest.length > 0 ? Buffer.concat([rest, chunk.subarray(0, read)]) : chunk.subarray(0, read);
      // Cut at the last newline: a chunk's end may split a line, even a character.
      const end = data.lastIndexOf(10);
      rest = Buffer.from(data.subarray(end + 1));
      if (end >= 0) {
        for (const text of data.toString("utf8", 0, end).split("\n")) {
          const line = parseLine(text);
          if (line === undefined || lineId(line) <= (held?.id ?? given)) return given;
          if (held) {
            yield held.line;
            given = held.id;
          }
          held = { line, id: lineId(line) };
          count++;
        }
      }
      read = readSync(fd, chunk, 0, chunk.length, position);
    }
    if (rest.length > 0 || count !== header.count) return given;
    if (held) yield held.line;
    return undefined;
  } catch {
    return given; // a read failed
  } finally {
    try {
      closeSync(fd);
    } catch {}
  }
}

/** An index line: a `done` whose task has a string id, or an `unreadable` with one; undefined for anything else. */
function parseLine(text: string): DoneIndexLine | undefined {
  try {
    const line = JSON.parse(text) as Partial<{ done: Partial<DoneSummary>; unreadable: Partial<UnreadableSummary> }>;
    if (typeof line !== "object" || line === null) return undefined;
    const id = "done" in line ? line.done?.task?.id : line.unreadable?.id;
    if (typeof id === "string") return line as DoneIndexLine;
  } catch {}
  return undefined;
}

/**
 * The records as index lines in id order, and the index written anew from them (staged in `tmp/`, renamed into
 * place: a reader sees the old index or the new one whole). The staging file is opened before `done/` is looked at,
 * so its mtime dates the build on the server's clock.
 */
function rebuild(p: LeasePaths, scan: () => { done: Done[]; unreadable: UnreadableDone[] }): DoneIndexLine[] {
  // Every done record read and checked: long enough, in a long lease, to be worth compiling (src/jit.ts).
  jitAsUsual();
  const staging = openStaging(p);
  const before = dirMtimeNs(p.done);
  const scanned = scan();
  const lines: DoneIndexLine[] = [
    ...scanned.done.map((done) => ({ done: summarizeDone(done) })),
    ...scanned.unreadable.map((unreadable) => ({ unreadable: summarizeUnreadable(unreadable) })),
  ].sort((a, b) => (lineId(a) < lineId(b) ? -1 : 1));
  if (staging) writeIndex(p, staging, before, lines);
  return lines;
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

function writeIndex(p: LeasePaths, staging: Staging, before: bigint | undefined, lines: DoneIndexLine[]): void {
  if (before === undefined) {
    discard(staging); // no done/ yet: nothing to index
    return;
  }
  const body = lines.map((line) => `${JSON.stringify(line)}\n`).join("");
  const header: DoneIndexHeader = {
    v: 1,
    kind: "done-index",
    dirMtimeNs: String(before),
    settled: mtimeSettled(before, staging.startNs),
    count: lines.length,
    bytes: Buffer.byteLength(body),
    counts: countDone(lines),
    newest: lines.slice(-NEWEST_IN_HEADER).map(lineId),
    sorted: true,
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

function discard(staging: Staging): void {
  try {
    closeSync(staging.fd);
  } catch {}
  try {
    unlinkSync(staging.file);
  } catch {}
}
