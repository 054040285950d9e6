import { spawnSync } from "node:child_process";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";

const installed = (command: string) => spawnSync("sh", ["-c", `command -v ${command}`]).status === 0;

/**
 * A tool a test runs (zsh, fish, tmux, chromium), installed from Debian's packages when missing and this is root, as
 * .ci/run does; otherwise the test fails saying what to install. Tests never skip: a check that did not run is no proof.
 * Two test files may ask at once: one apt-get runs at a time (flock), and the second finds the package there.
 */
export async function need(command: string, pkg = command): Promise<void> {
  if (installed(command)) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`${command} is not installed: install it (sudo apt-get install -y ${pkg}) to run this test`);
  }
  const options = { env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" }, stdin: "ignore" as const };
  const lock = join(tmpdir(), "rv-tests-apt.lock");
  await execa("flock", [lock, "apt-get", "update", "-qq"], options);
  await execa("flock", [lock, "apt-get", "install", "-y", "-qq", pkg], options);
  if (!installed(command)) throw new Error(`apt-get install ${pkg} left no ${command}`);
}
