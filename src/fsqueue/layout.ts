import { mkdirSync, readdirSync, statSync, unlinkSync } from "node:fs";
import { join } from "node:path";
import type { LeasePaths } from "./paths.ts";

/** Creates the lease's directories, private to the user (mode 0700). Idempotent. */
export function ensureLeaseDirs(p: LeasePaths): void {
  for (const dir of [p.dir, p.tmp, p.inbox, p.claimed, p.done, p.hb, p.events, p.control, p.logs, p.bad, p.segments]) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }
}

/** A directory's entries without dot-files (Maildir's rule), sorted; none when it does not exist. */
export function listEntries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
  return names.filter((name) => !name.startsWith(".")).sort();
}

/** Names a reader may look at: `<key>.json`, never dot-files or staging leftovers. */
export function listRecordKeys(dir: string, suffix = ".json"): string[] {
  return listEntries(dir)
    .filter((name) => name.endsWith(suffix))
    .map((name) => name.slice(0, -suffix.length));
}

export const TMP_MAX_AGE_MS = 24 * 3600 * 1000;

/** Staging files are only half-written records of writers that died; after a day nobody will finish them. */
export function sweepTmp(p: LeasePaths, nowMs: number): number {
  let swept = 0;
  for (const name of readdirSync(p.tmp)) {
    const file = join(p.tmp, name);
    try {
      if (nowMs - statSync(file).mtimeMs > TMP_MAX_AGE_MS) {
        unlinkSync(file);
        swept++;
      }
    } catch {
      // Another sweeper got there first.
    }
  }
  return swept;
}
