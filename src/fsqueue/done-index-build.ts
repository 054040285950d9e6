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
import { jitAsUsual } from "../jit.ts";
import {
  countDone,
  type DoneCounts,
  type DoneEnd,
  type DoneIndexHeader,
  type DoneIndexLine,
  lineEnd,
  lineFacts,
  lineId,
  lineText,
  mtimeSettled,
  NEWEST_IN_HEADER,
  parseLine,
  stampVouches,
  statStamp,
} from "./done-index-format.ts";
import { indexLineOf, parseDoneRecord } from "./done-record.ts";
import { randomSuffix } from "./ids.ts";
import { listRecordKeys } from "./layout.ts";
import { type LeasePaths, recordFile } from "./paths.ts";
import { doneCopy, newer } from "./task-copy.ts";

/** A line of the index being written: read anew (`text`), or kept from the old index (its bytes there). */
type ReadLine = { id: string; end: DoneEnd; text: Buffer };
type KeptLine = { id: string; end: DoneEnd; kept: { offset: number; length: number } };
type Planned = ReadLine | KeptLine;

/** A line as a refresh gives it out: its task's id and its text (valid only until the next is asked for). */
export interface RefreshedLine {
  id: string;
  text: Buffer;
}

/**
 * The index brought up to date with `done/`, its lines given out in id order as they are written anew (staged in
 * `tmp/`, renamed into place once whole: a reader sees the old index or the new one). `done/` is listed and each
 * record stated; one whose file stats as the old index's line says (its stamp) keeps that line unread, every other
 * is read, and stamped when its stat can vouch for it at the next refresh (stampVouches). With no index, or one
 * written before lines were stamped, every record is read: a rebuild. The old index is read a chunk at a time,
 * twice (the stamps, then the kept lines), so a history of any length is never held whole. The staging file is
 * opened before `done/` is looked at, so its mtime dates the build on the server's clock. Returns the counts.
 */
export function* refreshDoneIndex(p: LeasePaths): Generator<RefreshedLine, DoneCounts> {
  // Every record stated, many read: long enough, in a long lease, to be worth compiling (src/jit.ts).
  jitAsUsual();
  let staging = openStaging(p);
  const before = dirMtimeNs(p.done);
  const old = openOld(p);
  try {
    const plan = planLines(p, old, staging?.startMs);
    const counts = countDone(plan.map((line) => line.end));
    // No done/ yet: nothing to index.
    if (staging)
      staging = before === undefined ? discard(staging) : writeHeader(staging, header(before, staging, plan, counts));
    for (const line of plannedTexts(p, plan, old)) {
      if (staging && !line.read) staging = writeBytes(staging, line.text);
      else if (staging) staging = discard(staging); // the old index failed under us: its lines cannot be copied
      yield line;
    }
    if (staging) staging = commit(p, staging);
    return counts;
  } finally {
    if (staging) discard(staging); // abandoned by the reader, or failed
    if (old !== undefined) closeQuietly(old);
  }
}

/** `done/` counted by how its records ended, from the index brought up to date (read through, not listed). */
export function refreshDoneCounts(p: LeasePaths): DoneCounts {
  const lines = refreshDoneIndex(p);
  for (let next = lines.next(); ; next = lines.next()) if (next.done) return next.value;
}

export function dirMtimeNs(dir: string): bigint | undefined {
  try {
    return statSync(dir, { bigint: true }).mtimeNs;
  } catch {
    return undefined;
  }
}

function openOld(p: LeasePaths): number | undefined {
  try {
    return openSync(p.doneIndex, "r");
  } catch {
    return undefined; // none yet, or unreadable: only a cache
  }
}

/** Every record of `done/`, in id order: its old line kept when its file still stats as the line says, else read. */
function planLines(p: LeasePaths, old: number | undefined, buildStartMs: number | undefined): Planned[] {
  const stamped = old === undefined ? new Map() : stampedLines(old);
  const planned: Planned[] = [];
  for (const key of listRecordKeys(p.done)) {
    const kept = stamped.get(key);
    const stat = kept && statSync(recordFile(p.done, key), { throwIfNoEntry: false });
    const line = kept && stat && statStamp(stat) === kept.stat ? kept : readLine(p, key, buildStartMs);
    if (line) planned.push(line);
  }
  return oneLineEach(p, planned, old);
}

/** How much of the old index is read at a time. */
const CHUNK_BYTES = 1 << 20;

/**
 * The old index's stamped lines by id, read off each line's start (lineFacts), never parsed. A line that is not one,
 * or has no stamp, is left out (its record is read); the header is not needed: a torn file's whole lines are lines.
 * A read that fails (ESTALE: another host renamed a new index over it) ends the list where it got to.
 */
function stampedLines(fd: number): Map<string, KeptLine & { stat: string }> {
  const stamped = new Map<string, KeptLine & { stat: string }>();
  try {
    for (const { bytes, start, end, offset } of linesOf(fd)) {
      const facts = lineFacts(bytes, start, end);
      if (facts?.stat === undefined) continue;
      stamped.set(facts.id, {
        id: facts.id,
        end: facts.end,
        stat: facts.stat,
        kept: { offset, length: end + 1 - start },
      });
    }
  } catch {}
  return stamped;
}

/** The file's lines past its first, each as its place in a chunk and its offset in the file; a torn last is not. */
function* linesOf(fd: number): Generator<{ bytes: Buffer; start: number; end: number; offset: number }> {
  let chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  let filled = 0;
  let chunkOffset = 0; // of chunk[0] in the file
  let headerSeen = false;
  for (let read = readSync(fd, chunk, 0, chunk.length, 0); read > 0; ) {
    filled += read;
    let start = 0;
    for (let end = chunk.indexOf(10, start); end >= 0 && end < filled; end = chunk.indexOf(10, start)) {
      if (headerSeen) yield { bytes: chunk, start, end, offset: chunkOffset + start };
      headerSeen = true;
      start = end + 1;
    }
    // Carry the unfinished line to the chunk's front; a line longer than a chunk grows it.
    if (start === 0 && filled === chunk.length) chunk = Buffer.concat([chunk, Buffer.allocUnsafe(chunk.length)]);
    chunk.copy(chunk, 0, start, filled);
    filled -= start;
    chunkOffset += start;
    read = readSync(fd, chunk, filled, chunk.length - filled, chunkOffset + filled);
  }
}

/**
 * A record read into its line, stamped with the stat of the very file read (one descriptor: a record renamed over it
 * meanwhile is read next time); undefined when it is gone. A record under another task's name is never stamped.
 */
function readLine(p: LeasePaths, key: string, buildStartMs: number | undefined): ReadLine | undefined {
  const file = recordFile(p.done, key);
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  try {
    const stat = fstatSync(fd);
    const line = indexLineOf(parseDoneRecord(file, key, readFileSync(fd, "utf8")));
    const vouched = buildStartMs !== undefined && lineId(line) === key && stampVouches(stat, buildStartMs);
    return { id: lineId(line), end: lineEnd(line), text: lineText(line, vouched ? statStamp(stat) : undefined) };
  } finally {
    closeSync(fd);
  }
}

/**
 * One line per task, in id order: a record copied under another name (done/X.json as done/copy.json: its task's id
 * is not its file's) is a second copy of its task, and the newer stands for it (latestState's rule: the higher
 * attempt; the first listed of two alike); a record that parses stands for its task over one that does not.
 */
function oneLineEach(p: LeasePaths, planned: Planned[], old: number | undefined): Planned[] {
  // The usual case, every record under its own task's id: listed in key order, already one line each in id order.
  if (planned.every((line, i) => i === 0 || (planned[i - 1] as Planned).id < line.id)) return planned;
  const byId = new Map<string, Planned>();
  for (const line of planned) {
    const seen = byId.get(line.id);
    byId.set(line.id, seen ? newerLine(seen, line, (kept) => plannedLine(p, kept, old)) : line);
  }
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}

function newerLine(first: Planned, second: Planned, parse: (line: Planned) => DoneIndexLine | undefined): Planned {
  const [a, b] = [parse(first), parse(second)];
  if (!b || !("done" in b)) return first;
  if (!a || !("done" in a)) return second;
  return newer(doneCopy(b.done), doneCopy(a.done)) ? second : first;
}

/** A planned line parsed (a kept one read from the old index); undefined when it does not parse. */
function plannedLine(p: LeasePaths, line: Planned, old: number | undefined): DoneIndexLine | undefined {
  for (const given of plannedTexts(p, [line], old)) return parseLine(given.text.toString("utf8"));
  return undefined;
}

/**
 * The planned lines' texts in order: a kept line's bytes read from the old index a chunk at a time (the lines kept
 * lie in it in the same order), a read one's as it is. When the old index fails under us (ESTALE), a kept line is
 * its record read again (`read`: the text is not the one the header counted).
 */
function* plannedTexts(
  p: LeasePaths,
  plan: Planned[],
  old: number | undefined,
): Generator<RefreshedLine & { read?: true }> {
  // One buffer, read again for each stretch of kept lines: a line given out is used before the next is asked for.
  let buffer: Buffer = Buffer.alloc(0);
  let window: { offset: number; bytes: Buffer } = { offset: 0, bytes: buffer };
  for (const line of plan) {
    if ("text" in line) {
      yield { id: line.id, text: line.text };
      continue;
    }
    const { offset, length } = line.kept;
    const at = offset - window.offset;
    if (at < 0 || at + length > window.bytes.length) {
      if (buffer.length < Math.max(CHUNK_BYTES, length)) buffer = Buffer.allocUnsafe(Math.max(CHUNK_BYTES, length));
      window = { offset, bytes: readAt(old, buffer, offset) };
    }
    const text = window.bytes.subarray(offset - window.offset, offset - window.offset + length);
    if (text.length === length && text[length - 1] === 10) yield { id: line.id, text };
    else yield { id: line.id, text: readLine(p, line.id, undefined)?.text ?? Buffer.alloc(0), read: true };
  }
}

/** The old index from `offset` into `buffer`, as much as fits and can be read; nothing when it cannot. */
function readAt(fd: number | undefined, buffer: Buffer, offset: number): Buffer {
  try {
    return buffer.subarray(0, fd === undefined ? 0 : readSync(fd, buffer, 0, buffer.length, offset));
  } catch {
    return buffer.subarray(0, 0);
  }
}

function header(before: bigint, staging: Staging, plan: Planned[], counts: DoneCounts): DoneIndexHeader {
  return {
    v: 1,
    kind: "done-index",
    dirMtimeNs: String(before),
    settled: mtimeSettled(before, staging.startNs),
    count: plan.length,
    bytes: plan.reduce((sum, line) => sum + ("text" in line ? line.text.length : line.kept.length), 0),
    counts,
    newest: plan.slice(-NEWEST_IN_HEADER).map((line) => line.id),
    sorted: true,
  };
}

interface Staging {
  file: string;
  fd: number;
  startNs: bigint;
  startMs: number;
  /** Lines gathered to be written a chunk at a time: one write per line would be one system call per task. */
  out: Buffer;
  used: number;
}

/** A reader that cannot write (a read-only mount, another user's lease) reads the records and writes no index. */
function openStaging(p: LeasePaths): Staging | undefined {
  const file = join(p.tmp, `${basename(p.doneIndex)}.${process.pid}.${randomSuffix(6)}`);
  try {
    const fd = openSync(file, "wx", 0o600);
    const startNs = fstatSync(fd, { bigint: true }).mtimeNs;
    return { file, fd, startNs, startMs: Number(startNs / 1_000_000n), out: Buffer.allocUnsafe(CHUNK_BYTES), used: 0 };
  } catch {
    return undefined;
  }
}

function writeHeader(staging: Staging, header: DoneIndexHeader): Staging | undefined {
  return writeBytes(staging, Buffer.from(`${JSON.stringify(header)}\n`));
}

/** Written (gathered), or the staging file given up (undefined): only a cache, the next reader builds it again. */
function writeBytes(staging: Staging, bytes: Buffer): Staging | undefined {
  if (staging.used + bytes.length > staging.out.length && !flush(staging)) return discard(staging);
  if (bytes.length > staging.out.length) return writeAll(staging.fd, bytes) ? staging : discard(staging);
  staging.used += bytes.copy(staging.out, staging.used);
  return staging;
}

function flush(staging: Staging): boolean {
  const written = writeAll(staging.fd, staging.out.subarray(0, staging.used));
  staging.used = 0;
  return written;
}

function writeAll(fd: number, bytes: Buffer): boolean {
  try {
    for (let written = 0; written < bytes.length; ) written += writeSync(fd, bytes, written);
    return true;
  } catch {
    return false;
  }
}

/** Fsynced, renamed into place; the staging file given up when that fails. Leaves nothing to discard. */
function commit(p: LeasePaths, staging: Staging): undefined {
  try {
    if (!flush(staging)) return discard(staging);
    fsyncSync(staging.fd);
    closeSync(staging.fd);
    renameSync(staging.file, p.doneIndex);
  } catch {
    discard(staging);
  }
  return undefined;
}

function discard(staging: Staging): undefined {
  closeQuietly(staging.fd);
  try {
    unlinkSync(staging.file);
  } catch {}
  return undefined;
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {}
}
