const SLEEPER = new Int32Array(new SharedArrayBuffer(4));

/**
 * Waits `ms` without giving up the thread: fsqueue's callers are synchronous (a runner's tick, one CLI command),
 * and a lock taker or a retried link waits in the middle of one.
 */
export function pauseThread(ms: number): void {
  Atomics.wait(SLEEPER, 0, 0, ms);
}
