/** A runner that beats: running, or draining what it runs. (No imports at run time: `rv ui`'s page uses it too.) */
export function isLiveRunner(runner: { health: string }): boolean {
  return runner.health === "ok" || runner.health === "draining";
}

/**
 * The pending tasks no live runner of the lease will ever run: a live runner reported each as asking for more GPUs
 * or CPUs than it has (its heartbeat's `tooLarge`), and no live runner has more GPUs or more CPUs than that one. A
 * busy runner scans the inbox only as far as it can start something, so a task may wait so before it is named.
 */
export function tasksTooLarge(
  runners: readonly { health: string; gpus: readonly string[]; cpus: number; tooLarge?: readonly string[] }[],
): string[] {
  const live = runners.filter(isLiveRunner);
  const stuck = new Set<string>();
  for (const runner of live) {
    const larger = live.some((other) => other.gpus.length > runner.gpus.length || other.cpus > runner.cpus);
    if (!larger) for (const id of runner.tooLarge ?? []) stuck.add(id);
  }
  return [...stuck].sort();
}
