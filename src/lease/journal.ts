import { appendFileSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { type LeasePaths, readRecordLines } from "../fsqueue/index.ts";
import { z } from "../zod.ts";

/**
 * One act of a lease's supervisor (`supervision.jsonl`): what it did, when, and who it was (a watchdog job, a
 * segment's last act, `rv lease show` nudging). `rv lease show` reports these, so a person sees what healed the
 * lease and when, without the look doing it.
 */
export const SupervisionEntrySchema = deferred(() =>
  z.object({
    v: z.literal(1),
    at: z.string(),
    by: z.string(),
    did: z.string(),
  }),
);
export type SupervisionEntry = z.infer<typeof SupervisionEntrySchema>;

/** How many of the newest entries a look reports. */
export const JOURNAL_TAIL = 12;

/**
 * Appends one entry. Several supervisors may append at once: each line is one small write with O_APPEND, and
 * a reader skips a line that does not parse (a torn write on a filesystem that does not keep appends whole).
 */
export function journal(p: LeasePaths, by: string, did: string, now: Date): void {
  const entry: SupervisionEntry = { v: 1, at: now.toISOString(), by, did };
  appendFileSync(p.supervisionLog, `${JSON.stringify(entry)}\n`, { mode: 0o600 });
}

/** The newest `count` entries, oldest first. */
export function readJournal(p: LeasePaths, count = JOURNAL_TAIL): SupervisionEntry[] {
  return readRecordLines(p.supervisionLog, SupervisionEntrySchema).slice(-count);
}
