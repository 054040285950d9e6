import { readFileSync } from "node:fs";
import { EventSchema, eventsFile, type LeasePaths, parseRecord, type RvEvent } from "../fsqueue/index.ts";

/** A runner's event log, oldest first; lines that do not parse (a torn last line of a crash) are skipped. */
export function readEvents(p: LeasePaths, runner: string): RvEvent[] {
  let text: string;
  try {
    text = readFileSync(eventsFile(p, runner), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  const events: RvEvent[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const parsed = parseRecord(line, EventSchema);
    if (parsed.ok) events.push(parsed.value);
  }
  return events;
}
