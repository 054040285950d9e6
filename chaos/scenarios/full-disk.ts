import { mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { judgeRun } from "../history.ts";
import { histories, must, rv, type Scenario, settle, sleep, submitTask, taskCommand } from "../lib.ts";

/** Fills the filesystem of `dir` to the last byte with one file, which is returned to be removed. */
function fill(dir: string): string {
  const filler = join(dir, "filler");
  const chunk = Buffer.alloc(64 * 1024);
  for (let size = chunk.length; size >= 1; size = Math.floor(size / 2)) {
    try {
      for (;;) writeFileSync(filler, chunk.subarray(0, size), { flag: "a" });
    } catch {
      // ENOSPC at this size: go on with smaller writes until not one byte fits
    }
  }
  return filler;
}

/**
 * RV_HOME on a small tmpfs that fills up while a task runs: a submit fails with a clear error and leaves nothing
 * half-written; the running task's end is recorded once there is room again; the runner lives through it.
 */
export const fullDisk: Scenario = {
  name: "full disk (RV_HOME on a small tmpfs)",
  needs: "local",
  runs: { full: 5, short: 1 },
  async run({ root, marks }) {
    const home = join(root, "tmpfs");
    mkdirSync(home);
    await execa("mount", ["-t", "tmpfs", "-o", "size=8m,mode=0700", "tmpfs", home]);
    try {
      await must(home, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"]);
      const running = await submitTask(home, { lease: "chaos", marks, sleepMs: 1500 });
      const filler = fill(home);
      const refused = await rv(home, ["submit", "--json", "--lease", "chaos", ...taskCommand(marks, 10)]);
      const problems: string[] = [];
      if (refused.exitCode === 0) problems.push("a submit on a full disk said it succeeded");
      else if (!/space/i.test(String(refused.stdout)))
        problems.push(`the submit's error does not say why: ${refused.stdout}`);
      // The task ends while the disk is full; its runner must outlive that and record it later.
      await sleep(2500);
      const runnerAlive = (await rv(home, ["lease", "show", "chaos", "--json"])).exitCode === 0;
      rmSync(filler);
      await settle(home, "chaos", "60s");
      const ids = running ? [running] : [];
      const verdict = judgeRun(await histories(home, "chaos", marks, ids), null);
      verdict.problems.push(...problems);
      verdict.wrongFinal += problems.length;
      if (!runnerAlive) verdict.problems.push("rv lease show failed while the disk was full");
      const bad = readdirSync(join(home, "leases", "chaos", "bad"), { withFileTypes: true }).map((e) => e.name);
      if (bad.length > 0) {
        verdict.lost += bad.length;
        verdict.problems.push(`records quarantined after the disk filled: ${bad.join(", ")}`);
      }
      return verdict;
    } finally {
      await rv(home, ["lease", "release", "--all", "--now", "--wait"]);
      await execa("umount", ["-l", home], { reject: false });
    }
  },
};
