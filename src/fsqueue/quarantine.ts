import { renameSync } from "node:fs";
import { basename, join } from "node:path";
import { randomSuffix } from "./ids.ts";
import type { LeasePaths } from "./paths.ts";
import { writeFileAtomic } from "./records.ts";
import { PROTOCOL_VERSION } from "./schema.ts";

/**
 * Invariant 7: a file that fails validation moves to `bad/` with a `.why` beside it, and the queue goes on.
 * Returns where it went, or undefined when the file was already gone (another runner quarantined it first).
 */
export function quarantine(p: LeasePaths, file: string, reason: string): string | undefined {
  const target = join(p.bad, `${basename(file)}.${randomSuffix(4)}`);
  try {
    renameSync(file, target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
  writeFileAtomic(p.tmp, `${target}.why`, `${reason}\n`);
  return target;
}

/**
 * A record of a newer protocol version (a higher `v`) is a newer rv's, not garbage: a reader that moved it aside
 * would break that rv's lease, so it stays where it is and the reader says why it cannot use it.
 */
export function isNewerRecord(failure: { version?: unknown }): boolean {
  return typeof failure.version === "number" && failure.version > PROTOCOL_VERSION;
}
