/** A runner that beats: running, or draining what it runs. (No imports at run time: `rv ui`'s page uses it too.) */
export function isLiveRunner(runner: { health: string }): boolean {
  return runner.health === "ok" || runner.health === "draining";
}
