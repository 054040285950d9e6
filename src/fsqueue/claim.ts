import { existsSync, mkdirSync, renameSync } from "node:fs";
import { claimDir, claimFile, type LeasePaths, recordFile } from "./paths.ts";
import { quarantine } from "./quarantine.ts";
import { tryReadRecord } from "./records.ts";
import { type Task, TaskSchema } from "./schema.ts";

export type ClaimResult =
  | { kind: "claimed"; key: string; task: Task; file: string }
  | { kind: "lost-race" }
  | { kind: "quarantined"; reason: string };

export function ensureClaimDir(p: LeasePaths, owner: string): void {
  mkdirSync(claimDir(p, owner), { recursive: true, mode: 0o700 });
}

/**
 * Invariant 2: `rename(inbox/K, claimed/R/K)` succeeds for exactly one claimer. A network filesystem
 * may report an error for a rename that did happen, so an error is verified by looking for the target;
 * ENOENT with no target means another claimer won, which is normal, not an error.
 */
export function claimTask(p: LeasePaths, owner: string, key: string): ClaimResult {
  const target = claimFile(p, owner, key);
  try {
    renameSync(recordFile(p.inbox, key), target);
  } catch (error) {
    if (!existsSync(target)) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return { kind: "lost-race" };
      throw error;
    }
  }
  const parsed = tryReadRecord(target, TaskSchema);
  if (parsed === undefined) return { kind: "lost-race" };
  if (!parsed.ok) {
    quarantine(p, target, parsed.reason);
    return { kind: "quarantined", reason: parsed.reason };
  }
  return { kind: "claimed", key, task: parsed.value, file: target };
}
