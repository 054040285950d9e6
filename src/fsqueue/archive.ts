import { existsSync, mkdirSync, renameSync, rmSync } from "node:fs";
import { join } from "node:path";
import { unlinkIfPresent } from "./finish.ts";
import { listRecordKeys } from "./layout.ts";
import { readNote, removeNote } from "./notes.ts";
import { type LeasePaths, recordFile } from "./paths.ts";
import { tryReadRecord, writeRecordAtomic } from "./records.ts";
import { type Done, DoneSchema } from "./schema.ts";
import { pendingOrClaimed } from "./snapshot.ts";

const archivedLogs = (p: LeasePaths, task: string) => join(p.archive, "logs", task);

/**
 * `rv clean`: a finished task leaves done/ for archive/, its note folded into the record and its logs moved
 * beside it. ★ The commit point is the unlink of `done/<id>.json`, after the archived copy is durable: a crash
 * before it leaves the task finished and listed as before (cleaning it again rewrites the same copy), never gone.
 */
export function archiveDone(p: LeasePaths, done: Done): boolean {
  if (pendingOrClaimed(p, done.task.id)) return false; // requeued since the caller looked: under way again
  mkdirSync(join(p.archive, "logs"), { recursive: true, mode: 0o700 });
  const note = readNote(p, done.task.id);
  const kept = note === undefined ? done : { ...done, task: { ...done.task, note: note || undefined } };
  writeRecordAtomic(p.tmp, recordFile(p.archive, done.task.id), kept);
  unlinkIfPresent(recordFile(p.done, done.task.id));
  moveIfPresent(join(p.logs, done.task.id), archivedLogs(p, done.task.id));
  removeNote(p, done.task.id);
  return true;
}

/** `rv clean --delete`: the record goes first (★), then what only it pointed to. */
export function deleteDone(p: LeasePaths, done: Done): boolean {
  if (pendingOrClaimed(p, done.task.id)) return false;
  unlinkIfPresent(recordFile(p.done, done.task.id));
  rmSync(join(p.logs, done.task.id), { recursive: true, force: true });
  removeNote(p, done.task.id);
  return true;
}

/**
 * `rv clean --delete` of a task archived before: its archived record (★), then its archived logs, and any logs an
 * archiving that stopped half-way left behind.
 */
export function deleteArchived(p: LeasePaths, done: Done): void {
  unlinkIfPresent(recordFile(p.archive, done.task.id));
  rmSync(archivedLogs(p, done.task.id), { recursive: true, force: true });
  if (!pendingOrClaimed(p, done.task.id)) rmSync(join(p.logs, done.task.id), { recursive: true, force: true });
}

/** Every archived task's record; unreadable ones are skipped (the archive is for reading, never for decisions). */
export function readArchive(p: LeasePaths): Done[] {
  return listRecordKeys(p.archive).flatMap((id) => readArchivedOne(p, id) ?? []);
}

/** One archived task's record, if it was archived. */
export function readArchivedOne(p: LeasePaths, id: string): Done | undefined {
  const parsed = tryReadRecord(recordFile(p.archive, id), DoneSchema);
  return parsed?.ok ? parsed.value : undefined;
}

function moveIfPresent(from: string, to: string): void {
  if (!existsSync(from)) return; // moved already, by a clean that stopped half-way
  rmSync(to, { recursive: true, force: true });
  renameSync(from, to);
}
