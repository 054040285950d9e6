import { existsSync, renameSync, rmdirSync } from "node:fs";
import { join } from "node:path";
import { ensureClaimDir } from "./claim.ts";
import { hasControl } from "./control.ts";
import { finishClaim, requeueClaim, unlinkIfPresent } from "./finish.ts";
import { listEntries } from "./layout.ts";
import { claimDir, type LeasePaths, recordFile, takeoverFile } from "./paths.ts";
import { quarantine } from "./quarantine.ts";
import { tryReadRecord } from "./records.ts";
import { DoneSchema, type Task, TaskSchema } from "./schema.ts";

export type Recovery =
  | { task: string; outcome: "requeued"; attempt: number }
  | { task: string; outcome: "failed"; reason: string }
  | { task: string; outcome: "cancelled" }
  | { task: string; outcome: "already-handled" }
  | { task: string; outcome: "quarantined"; reason: string };

/**
 * Returns the claims of a stale owner to the queue (invariant 6). Each claim is first taken over by a
 * rename into the recoverer's own claim directory, so two recoverers never both requeue it. A takeover
 * left by a recoverer that died is recovered like any other claim. The caller must first make sure the
 * orphaned attempts are not still running.
 */
export function recoverClaims(
  p: LeasePaths,
  staleOwner: string,
  recoverer: string,
  context: { host: string; now: Date },
): Recovery[] {
  const dir = claimDir(p, staleOwner);
  const names = listEntries(dir);
  if (names.length === 0) return [];
  ensureClaimDir(p, recoverer);
  const recoveries: Recovery[] = [];
  for (const name of names) {
    const key = name.replace(/\.json$|\.recovering$/, "");
    if (key === name) continue;
    const taken = takeoverFile(p, recoverer, key);
    try {
      renameSync(join(dir, name), taken);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && !existsSync(taken)) continue;
      if (!existsSync(taken)) throw error;
    }
    recoveries.push(settleTakenClaim(p, taken, key, { ...context, runner: recoverer }));
  }
  try {
    rmdirSync(dir);
  } catch {
    // Not empty (a late claim of a runner that is not quite dead) or already gone: leave it.
  }
  return recoveries;
}

function settleTakenClaim(
  p: LeasePaths,
  taken: string,
  key: string,
  context: { host: string; runner: string; now: Date },
): Recovery {
  const parsed = tryReadRecord(taken, TaskSchema);
  if (parsed === undefined) return { task: key, outcome: "already-handled" };
  if (!parsed.ok) {
    quarantine(p, taken, parsed.reason);
    return { task: key, outcome: "quarantined", reason: parsed.reason };
  }
  const task = parsed.value;
  if (hasNewerCopy(p, key, task)) {
    unlinkIfPresent(taken);
    return { task: task.id, outcome: "already-handled" };
  }
  if (hasControl(p, task.id, "cancel")) {
    finishClaim(p, taken, task, {
      state: "cancelled",
      exitCode: null,
      signal: null,
      reason: "cancelled while its runner was lost",
      startedAt: null,
      endedAt: context.now.toISOString(),
      runner: context.runner,
      host: context.host,
      gpus: [],
    });
    return { task: task.id, outcome: "cancelled" };
  }
  const result = requeueClaim(p, taken, task, "crash", context, { reason: "its runner was lost" });
  return result.requeued
    ? { task: task.id, outcome: "requeued", attempt: result.task.attempt }
    : { task: task.id, outcome: "failed", reason: result.done.reason ?? "" };
}

/**
 * Whether this attempt's end is recorded already: a `done/` record of it or a later attempt, or a later attempt
 * queued or claimed. A recoverer that died after republishing leaves its takeover behind, and a runner whose
 * record of an end threw after its commit asks again: in both, the newer copy wins.
 */
export function hasNewerCopy(p: LeasePaths, key: string, task: Task): boolean {
  const done = tryReadRecord(recordFile(p.done, task.id), DoneSchema);
  if (done?.ok && done.value.task.attempt >= task.attempt) return true;
  const queued = tryReadRecord(recordFile(p.inbox, key), TaskSchema);
  if (queued?.ok && queued.value.attempt > task.attempt) return true;
  for (const owner of listEntries(p.claimed)) {
    const claimed = tryReadRecord(join(p.claimed, owner, `${key}.json`), TaskSchema);
    if (claimed?.ok && claimed.value.attempt > task.attempt) return true;
  }
  return false;
}
