import { renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";

/**
 * A file one process holds at a time: created exclusively (`wx`, atomic on a local disk and on NFSv3 and later).
 * A holder that died leaves it behind; once older than `staleMs` it is moved aside by rename(2), which only one
 * taker can do, and created afresh. So of any number of takers exactly one gets it.
 */
export function takeFile(file: string, now: Date, staleMs: number): boolean {
  if (createExclusively(file, now)) return true;
  const age = now.getTime() - mtimeMs(file);
  if (Number.isNaN(age) || age < staleMs) return false;
  const aside = `${file}.stale-${process.pid}`;
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  unlinkSync(aside);
  return createExclusively(file, now);
}

export function dropFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** A lock is held for a read and a write, milliseconds: one this old was left by a process that died holding it. */
const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;
const LOCK_POLL_MS = 5;
const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/** Runs `body` while holding the lock file `file`, waiting for it as long as a lock can be held. */
export function withFileLock<T>(file: string, body: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS + LOCK_STALE_MS;
  while (!takeFile(file, new Date(), LOCK_STALE_MS)) {
    if (Date.now() > deadline) throw new Error(`${file}: still held after ${(LOCK_WAIT_MS + LOCK_STALE_MS) / 1000} s`);
    // The callers are synchronous (a runner's tick, one CLI command), so they wait without giving up the thread.
    Atomics.wait(SLEEPER, 0, 0, LOCK_POLL_MS);
  }
  try {
    return body();
  } finally {
    dropFile(file);
  }
}

function createExclusively(file: string, now: Date): boolean {
  try {
    writeFileSync(file, `${now.toISOString()} ${process.pid}\n`, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NaN;
  }
}
