import { renameSync } from "node:fs";
import { basename, join } from "node:path";
import { randomSuffix } from "./ids.ts";
import type { LeasePaths } from "./paths.ts";
import { writeFileAtomic } from "./records.ts";

/**
 * Invariant 7: a file that fails validation moves to `bad/` with a `.why` beside it, and the queue goes on.
 * Returns false when the file was already gone (another runner quarantined it first).
 */
export function quarantine(p: LeasePaths, file: string, reason: string): boolean {
  const name = `${basename(file)}.${randomSuffix(4)}`;
  try {
    renameSync(file, join(p.bad, name));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  writeFileAtomic(p.tmp, join(p.bad, `${name}.why`), `${reason}\n`);
  return true;
}
