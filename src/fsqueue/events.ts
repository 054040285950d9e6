import { appendFileSync } from "node:fs";
import { eventsFile, type LeasePaths } from "./paths.ts";
import { readRecordLines } from "./records.ts";
import { EventSchema, PROTOCOL_VERSION, type RvEvent } from "./schema.ts";

export type EventInput = Omit<RvEvent, "v" | "time" | "runner">;

/** Invariant 4: the events log is append-only with a single writer, the runner it is named after. */
export function appendEvent(p: LeasePaths, runner: string, event: EventInput, now: Date): void {
  const record: RvEvent = { v: PROTOCOL_VERSION, time: now.toISOString(), runner, ...event };
  appendFileSync(eventsFile(p, runner), `${JSON.stringify(record)}\n`, { mode: 0o600 });
}

/** A runner's event log, oldest first; lines that do not parse (a torn last line of a crash) are skipped. */
export function readEvents(p: LeasePaths, runner: string): RvEvent[] {
  return readRecordLines(eventsFile(p, runner), EventSchema);
}
