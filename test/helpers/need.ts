import { spawnSync } from "node:child_process";

/**
 * A tool a test runs that `.ci/run` installs (zsh, fish): a machine without it fails the test, saying so, never
 * skips it.
 */
export function need(command: string): void {
  const found = spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;
  if (!found) throw new Error(`${command} is not installed: apt-get install ${command} (.ci/run installs it)`);
}
