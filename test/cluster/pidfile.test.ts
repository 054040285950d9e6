import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { waitFor } from "../helpers/wait.ts";

// up.sh and down.sh trust a pid file only when its pid is the daemon the file is named after (pidfile.sh): a
// machine started from a copy of another's disk keeps the state dir, and a stale pid once named a kernel worker,
// so up.sh left sshd and two slurmd unstarted and the cluster never came up.
const library = join(import.meta.dirname, "pidfile.sh");
const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill("SIGKILL");
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "rv-pidfile-"));
  dirs.push(dir);
  return dir;
}

/** A process whose name is `name` (a script of that name: the kernel names the process after it), once it is. */
async function running(name: string, args: string[]): Promise<number> {
  const script = join(scratch(), name);
  writeFileSync(script, "#!/bin/sh\nsleep 600\ntrue\n");
  chmodSync(script, 0o755);
  const child = spawn(script, args, { stdio: "ignore" });
  children.push(child);
  const pid = child.pid;
  if (pid === undefined) throw new Error(`could not start ${script}`);
  await waitFor(() => readFileSync(`/proc/${pid}/comm`, "utf8") === `${name}\n`, { what: `${name} to start` });
  return pid;
}

/** Whether pidfile.sh's `alive` takes a pid file of this name holding this content. */
function alive(fileName: string, content: string): boolean {
  const file = join(scratch(), fileName);
  writeFileSync(file, content);
  return spawnSync("bash", ["-c", 'source "$1" && alive "$2"', "bash", library, file]).status === 0;
}

describe("a dev-cluster pid file", () => {
  test("counts when its pid is the daemon it is named after", async () => {
    expect(alive("slurmd-a100-01.pid", `${await running("slurmd", ["-N", "a100-01"])}\n`)).toBe(true);
    expect(alive("sshd.pid", `${await running("sshd", [])}\n`)).toBe(true);
    expect(alive("mysqld.pid", `${await running("mariadbd", [])}\n`)).toBe(true);
  });

  test("does not count when its pid is now another process", async () => {
    expect(alive("sshd.pid", `${await running("sleeper", [])}\n`)).toBe(false);
    expect(alive("slurmctld.pid", `${process.pid}\n`)).toBe(false);
  });

  test("does not count when its pid is the slurmd of another node", async () => {
    expect(alive("slurmd-a100-02.pid", `${await running("slurmd", ["-N", "a100-01"])}\n`)).toBe(false);
    expect(alive("slurmd-a100-0.pid", `${await running("slurmd", ["-N", "a100-01"])}\n`)).toBe(false);
  });

  test("does not count when it is empty, not a number, or names no process", () => {
    expect(alive("sshd.pid", "")).toBe(false);
    expect(alive("sshd.pid", "12ab\n")).toBe(false);
    expect(alive("sshd.pid", "4194304\n")).toBe(false);
  });
});
