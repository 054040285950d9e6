import { mkdirSync, readFileSync } from "node:fs";
import { unlinkIfPresent } from "./finish.ts";
import { type LeasePaths, notifiedFile } from "./paths.ts";
import { writeFileAtomic } from "./records.ts";
import { PROTOCOL_VERSION } from "./schema.ts";

/** A marker's name: what it marks, e.g. `task-failed.<task>.<attempt>`; never a path. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/**
 * Creates `file` with `content` unless it exists: true for the one caller that created it, false for every other.
 * Written whole in `tmpDir` and committed with link(2), which fails with EEXIST instead of replacing a file
 * (Maildir's delivery). A network filesystem may answer EEXIST to a link that happened (the reply was lost and
 * the retried call found the file): the file is then read back, and it is ours when it holds exactly our
 * content, which names its writer and the time, so no other writer's can be the same.
 */
export function createOnce(tmpDir: string, file: string, content: string): boolean {
  try {
    writeFileAtomic(tmpDir, file, content, true);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    try {
      return readFileSync(file, "utf8") === content;
    } catch {
      return false;
    }
  }
}

/**
 * Marks a lease's notification `key` as sent, before it is sent: true for exactly one caller however many
 * runners and supervisors, on however many hosts, notice the same event at once; that caller sends it. `by`
 * names the caller (a runner id, or host and pid), `detail` is what it sends (never a secret).
 */
export function markNotified(
  p: LeasePaths,
  key: string,
  by: string,
  now: Date,
  detail: Record<string, unknown>,
): boolean {
  if (!KEY.test(key)) throw new Error(`notification key ${JSON.stringify(key)}: letters, digits, '.', '_' and '-'`);
  mkdirSync(p.notified, { recursive: true, mode: 0o700 });
  const record = { v: PROTOCOL_VERSION, key, by, at: now.toISOString(), detail };
  return createOnce(p.tmp, notifiedFile(p, key), `${JSON.stringify(record)}\n`);
}

/** Forgets markers, so that their events may be sent again: a lease that starts a new life (resumed). */
export function clearNotified(p: LeasePaths, keys: readonly string[]): void {
  for (const key of keys) if (KEY.test(key)) unlinkIfPresent(notifiedFile(p, key));
}
