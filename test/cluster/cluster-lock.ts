import { mkdirSync, readdirSync, readlinkSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { readProcStart } from "../../src/runner/proc.ts";
import { waitFor } from "../helpers/wait.ts";

/**
 * Who uses the dev cluster at once, across vitest's worker processes: any number of test files that share it, or
 * one file that needs it whole (a backfill hole, every GPU of a partition held, a user's queue empty). A file that
 * wants it whole first claims it (`whole`, a symlink naming its owner: one process makes it), then waits until no
 * sharer is left; a sharer that finds it claimed steps back until it is free again. So the files that need the
 * cluster whole run beside the local files, which never touch it, instead of after everything else.
 *
 * Owners are `<pid>-<start>-<token>`: a claim or a share whose process is gone (a worker killed mid-file) is cleared
 * by whoever finds it. The process's start time is part of the name because the directory is in /tmp, which outlives
 * the processes (a machine started from a copy of another's disk keeps it): a stale pid may be a live stranger then.
 */
export interface ClusterLock {
  dir: string;
  owner: string;
  isAlive: (owner: string) => boolean;
}

/** How long a file waits for its turn: the longest file that holds the cluster takes about 4 minutes. */
export const TURN_MS = 20 * 60_000;

export function processLock(dir: string): ClusterLock {
  const owner = `${process.pid}-${readProcStart(process.pid)}-${Math.random().toString(36).slice(2, 10)}`;
  return { dir, owner, isAlive: processAlive };
}

export function processAlive(owner: string): boolean {
  const [pid, start] = owner.split("-");
  return start !== undefined && String(readProcStart(Number(pid))) === start;
}

export async function shareCluster(lock: ClusterLock, timeoutMs = TURN_MS): Promise<void> {
  const marker = join(sharersDir(lock), lock.owner);
  await waitFor(
    () => {
      writeFileSync(marker, "");
      if (wholeOwner(lock) === null) return true;
      unlinkSync(marker);
      return false;
    },
    { timeoutMs, intervalMs: 250, what: "the dev cluster to be shared again (a file holds it whole)" },
  );
}

export async function ownCluster(lock: ClusterLock, timeoutMs = TURN_MS): Promise<void> {
  const whole = join(lock.dir, "whole");
  await waitFor(
    () => {
      if (wholeOwner(lock) !== null) return false;
      try {
        symlinkSync(lock.owner, whole);
        return true;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
        throw error;
      }
    },
    { timeoutMs, intervalMs: 250, what: "another file that holds the dev cluster whole to end" },
  );
  await waitFor(() => liveSharers(lock).length === 0, {
    timeoutMs,
    intervalMs: 250,
    what: "the files that share the dev cluster to end",
  });
}

/** Gives up whichever hold `lock` has. */
export function releaseCluster(lock: ClusterLock): void {
  removeIfPresent(join(sharersDir(lock), lock.owner));
  if (wholeOwner(lock) === lock.owner) removeIfPresent(join(lock.dir, "whole"));
}

/** The live owner of the whole cluster, or null; a claim whose process is gone is cleared. */
function wholeOwner(lock: ClusterLock): string | null {
  const whole = join(lock.dir, "whole");
  let owner: string;
  try {
    owner = readlinkSync(whole);
  } catch {
    return null;
  }
  if (lock.isAlive(owner)) return owner;
  removeIfPresent(whole);
  return null;
}

/** The sharers whose processes are alive; the markers of the others are cleared. */
function liveSharers(lock: ClusterLock): string[] {
  const dir = sharersDir(lock);
  const live: string[] = [];
  for (const owner of readdirSync(dir)) {
    if (lock.isAlive(owner)) live.push(owner);
    else removeIfPresent(join(dir, owner));
  }
  return live;
}

function sharersDir(lock: ClusterLock): string {
  const dir = join(lock.dir, "sharers");
  mkdirSync(dir, { recursive: true });
  return dir;
}

function removeIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}
