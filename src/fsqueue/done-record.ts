import { type DoneIndexLine, summarizeDone, summarizeUnreadable, type UnreadableDone } from "./done-index-format.ts";
import { type LeasePaths, recordFile } from "./paths.ts";
import { parseRecord, readTextIfPresent } from "./records.ts";
import { type Done, DoneSchema, type Task, TaskSchema } from "./schema.ts";

export type DoneRead = { ok: true; done: Done } | { ok: false; unreadable: UnreadableDone };

/** A done record's text, read or found unreadable: `id` is its file's key, `file` its path. */
export function parseDoneRecord(file: string, id: string, text: string): DoneRead {
  const parsed = parseRecord(text, DoneSchema);
  if (parsed.ok) return { ok: true, done: parsed.value };
  return { ok: false, unreadable: { id, file, reason: parsed.reason, task: salvageTask(text) } };
}

/** A record read as the done index holds it (done-index-format.ts). */
export function indexLineOf(read: DoneRead): DoneIndexLine {
  return read.ok ? { done: summarizeDone(read.done) } : { unreadable: summarizeUnreadable(read.unreadable) };
}

/** The task a broken done record still holds whole, if it does: its name and command are worth showing. */
function salvageTask(text: string): Task | null {
  try {
    const task = TaskSchema.safeParse((JSON.parse(text) as { task?: unknown } | null)?.task);
    return task.success ? task.data : null;
  } catch {
    return null;
  }
}

/** The task's done/ record, read or found unreadable; undefined when it has none. */
export function readDoneRecord(p: LeasePaths, id: string): DoneRead | undefined {
  const file = recordFile(p.done, id);
  const text = readTextIfPresent(file);
  return text === undefined ? undefined : parseDoneRecord(file, id, text);
}

export function readDoneOne(p: LeasePaths, id: string): Done | undefined {
  const read = readDoneRecord(p, id);
  return read?.ok ? read.done : undefined;
}

/** The task's done record when it is there but does not parse. */
export function readUnreadableDone(p: LeasePaths, id: string): UnreadableDone | undefined {
  const read = readDoneRecord(p, id);
  return read?.ok === false ? read.unreadable : undefined;
}
