import { appendFileSync, closeSync, fstatSync, openSync, readSync } from "node:fs";
import { listRecordKeys } from "./layout.ts";
import { eventsFile, type LeasePaths } from "./paths.ts";
import { parseRecord, readRecordLines } from "./records.ts";
import { EventSchema, PROTOCOL_VERSION, type RvEvent } from "./schema.ts";

export type EventInput = Omit<RvEvent, "v" | "time" | "runner">;

/**
 * Invariant 4: the events log is append-only with a single writer, the runner it is named after. The writer keeps
 * it open (O_APPEND, each line one write): a runner appends three lines a task, and opening the file for each would
 * be two more calls a line.
 */
export class EventLog {
  private fd: number | undefined;

  constructor(
    private readonly p: LeasePaths,
    private readonly runner: string,
  ) {}

  append(event: EventInput, now: Date): void {
    const record: RvEvent = { v: PROTOCOL_VERSION, time: now.toISOString(), runner: this.runner, ...event };
    this.fd ??= openSync(eventsFile(this.p, this.runner), "a", 0o600);
    appendFileSync(this.fd, `${JSON.stringify(record)}\n`);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/**
 * A runner's event log, oldest first; lines that do not parse (a torn last line of a crash) are skipped. With
 * `task`, a superset of that task's events: only the lines that mention its id are parsed.
 */
export function readEvents(p: LeasePaths, runner: string, task?: string): RvEvent[] {
  return readRecordLines(eventsFile(p, runner), EventSchema, task === undefined ? undefined : JSON.stringify(task));
}

/**
 * How much of an events log is read at a time from its end: a first small chunk (what a reader wants is usually among
 * the last lines, and a wait asks thousands of times), doubling up to a large one.
 */
const FIRST_TAIL_CHUNK = 16 * 1024;
const TAIL_CHUNK = 256 * 1024;

/**
 * How far back in time a runner's log may step (its clock set back), as readEventsSince allows for: PROTOCOL.md,
 * Writes.
 */
export const EVENTS_SLACK_MS = 5 * 60_000;

export interface EventsWanted {
  /** From this time on (epoch ms); all of them without it. */
  sinceMs?: number;
  /** Of these types only: the lines of others are skipped unparsed. */
  types?: readonly RvEvent["type"][];
}

/**
 * A runner's events wanted, oldest first. Its single writer appends them in time order (to within EVENTS_SLACK_MS,
 * its clock being set back), so the file is read from its end, a chunk at a time, back to the first line older
 * than `sinceMs` by more than that, and not at all when it was last written before: a lease's long history costs
 * the window's lines, not the whole log's. Lines that do not parse are skipped, as readEvents skips them.
 */
export function readEventsSince(p: LeasePaths, runner: string, wanted: EventsWanted = {}): RvEvent[] {
  const { sinceMs = Number.NEGATIVE_INFINITY, types } = wanted;
  const stopAtMs = sinceMs - EVENTS_SLACK_MS;
  const marks = types?.map((type) => `"type":${JSON.stringify(type)}`);
  const events: RvEvent[] = [];
  for (const event of eventsFromEnd(p, runner, { marks, notBeforeMs: stopAtMs })) {
    const at = Date.parse(event.time);
    if (at < stopAtMs) break;
    // The mark may be another field's ("type" in an object of a later version): the event's own type decides.
    if (at >= sinceMs && (!types || types.includes(event.type))) events.push(event);
  }
  return events.reverse();
}

/**
 * A task's latest event that `is`, from the end of its runner's log: a task that started a moment ago is found in
 * the log's last lines, not by reading a log of thousands.
 */
export function readLatestEvent(
  p: LeasePaths,
  runner: string,
  task: string,
  is: (event: RvEvent) => boolean,
): RvEvent | undefined {
  for (const event of eventsFromEnd(p, runner, { marks: [JSON.stringify(task)] })) if (is(event)) return event;
  return undefined;
}

/**
 * A runner's events, newest first, read from the log's end a chunk at a time as they are asked for. With `marks`,
 * only lines holding one of them are parsed; a log last written before `notBeforeMs` is not read.
 */
function* eventsFromEnd(
  p: LeasePaths,
  runner: string,
  { marks, notBeforeMs = Number.NEGATIVE_INFINITY }: { marks?: readonly string[]; notBeforeMs?: number },
): Generator<RvEvent> {
  let fd: number;
  try {
    fd = openSync(eventsFile(p, runner), "r");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return;
    throw error;
  }
  try {
    const { size, mtimeMs } = fstatSync(fd);
    if (mtimeMs < notBeforeMs) return;
    let end = size;
    let chunkBytes = FIRST_TAIL_CHUNK;
    let rest = Buffer.alloc(0); // the start of a line whose beginning lies in the chunk before
    while (end > 0) {
      const start = Math.max(0, end - chunkBytes);
      chunkBytes = Math.min(chunkBytes * 2, TAIL_CHUNK);
      const chunk = Buffer.alloc(end - start);
      readSync(fd, chunk, 0, chunk.length, start);
      const text = Buffer.concat([chunk, rest]);
      // Whole lines only: what precedes the chunk's first newline is completed by the chunk before it.
      const cut = start === 0 ? 0 : text.indexOf(10) + 1;
      end = start;
      if (start > 0 && cut === 0) {
        rest = text; // no newline yet: one line longer than a chunk
        continue;
      }
      const lines = text.subarray(cut).toString("utf8").split("\n");
      for (let i = lines.length - 1; i >= 0; i--) {
        const line = lines[i] ?? "";
        if (line.trim() === "" || (marks && !marks.some((mark) => line.includes(mark)))) continue;
        const parsed = parseRecord(line, EventSchema);
        if (parsed.ok) yield parsed.value;
      }
      rest = text.subarray(0, cut);
    }
  } finally {
    closeSync(fd);
  }
}

/** The events wanted of every runner of a lease, as readEventsSince reads them: each log's oldest first, in turn. */
export function readLeaseEvents(p: LeasePaths, wanted: EventsWanted = {}): RvEvent[] {
  return listRecordKeys(p.events, ".jsonl").flatMap((runner) => readEventsSince(p, runner, wanted));
}
