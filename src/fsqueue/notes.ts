import { mkdirSync } from "node:fs";
import { unlinkIfPresent } from "./finish.ts";
import { listRecordKeys } from "./layout.ts";
import { type LeasePaths, recordFile } from "./paths.ts";
import { tryReadRecord, writeRecordAtomic } from "./records.ts";
import { NoteSchema, PROTOCOL_VERSION } from "./schema.ts";

/**
 * A note is edited beside the task, never in its record: a pending record may be claimed (renamed) at any
 * instant, so rewriting it could resurrect a task a runner already took. The note file is replaced atomically;
 * the last edit wins.
 */
export function writeNote(p: LeasePaths, task: string, note: string, context: { host: string; now: Date }): void {
  mkdirSync(p.notes, { recursive: true, mode: 0o700 });
  const record = { v: PROTOCOL_VERSION, task, note, at: context.now.toISOString(), host: context.host };
  writeRecordAtomic(p.tmp, recordFile(p.notes, task), record);
}

export function removeNote(p: LeasePaths, task: string): void {
  unlinkIfPresent(recordFile(p.notes, task));
}

/** The edited note of one task, if it has one. */
export function readNote(p: LeasePaths, task: string): string | undefined {
  const parsed = tryReadRecord(recordFile(p.notes, task), NoteSchema);
  return parsed?.ok ? parsed.value.note : undefined;
}

/** Every edited note of the lease, by task id: one listing, and a read per note. */
export function readNotes(p: LeasePaths): Map<string, string> {
  const notes = new Map<string, string>();
  for (const task of listRecordKeys(p.notes)) {
    const note = readNote(p, task);
    if (note !== undefined) notes.set(task, note);
  }
  return notes;
}
