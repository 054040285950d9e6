import { appendFileSync, closeSync, openSync } from "node:fs";
import { eventsFile, type LeasePaths } from "./paths.ts";
import { readRecordLines } from "./records.ts";
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
