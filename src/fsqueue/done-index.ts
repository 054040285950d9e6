import { closeSync, fstatSync, openSync, readSync, unlinkSync } from "node:fs";
import { dirMtimeNs, refreshDoneCounts, refreshDoneIndex } from "./done-index-build.ts";
import {
  type DoneCounts,
  type DoneIndexHeader,
  type DoneIndexLine,
  headerTrusted,
  lineId,
  parseHeader,
  parseLine,
} from "./done-index-format.ts";
import { indexLineOf, readDoneRecord } from "./done-record.ts";
import type { LeasePaths } from "./paths.ts";

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
 * `done/` counted by how its records ended: from the index's header alone while it is trusted (`rv status` reads no
 * record), else from the index brought up to date (which reads only the records changed since it was written).
 */
export function readDoneCounts(p: LeasePaths): DoneCounts {
  return readTrustedHeader(p)?.header.counts ?? refreshDoneCounts(p);
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

/**
 * Every `done/` record as the views read it, a line at a time in id order: from the index while it is trusted and sorted, read a
 * chunk at a time, so a history of any length is never held whole. Otherwise the index is brought up to date first
 * (refreshDoneIndex). An index found damaged partway (a line that is not one, out of order, a read that fails: a
 * damaged disk, a hand edit, ESTALE when another host renamed a new index over it) is removed, and the listing goes on
 * from the records after the last id it gave out: a listing never fails for a cache. A caller that writes what it
 * read (archives it, requeues it) reads the records: readSnapshot.
 */
export function* readDone(p: LeasePaths): Generator<DoneIndexLine> {
  const index = openTrusted(p);
  if (!index?.header.sorted) {
    if (index) closeSync(index.fd);
    yield* refreshedLines(p);
    return;
  }
  const damagedAfter = yield* indexLines(index.fd, index.header, index.start);
  if (damagedAfter === undefined) return;
  removeIndex(p);
  for (const line of refreshedLines(p)) if (lineId(line) > damagedAfter) yield line;
}

/**
 * The lines of the index brought up to date, parsed one at a time. A kept line that does not parse (its stamp matched,
 * the rest is damaged) is its record read instead, and the new index removed once written: the next reader reads
 * every record.
 */
function* refreshedLines(p: LeasePaths): Generator<DoneIndexLine> {
  let damaged = false;
  for (const { id, text } of refreshDoneIndex(p)) {
    const line = parseLine(text.toString("utf8"));
    damaged ||= line === undefined;
    const read = line ?? recordLine(p, id);
    if (read) yield read;
  }
  if (damaged) removeIndex(p);
}

function recordLine(p: LeasePaths, id: string): DoneIndexLine | undefined {
  const read = readDoneRecord(p, id);
  return read && indexLineOf(read);
}

function removeIndex(p: LeasePaths): void {
  try {
    unlinkSync(p.doneIndex);
  } catch {}
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
