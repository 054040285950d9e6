import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { devCluster } from "../../test/helpers/cluster.ts";
import { judgeRun } from "../history.ts";
import { histories, must, type Scenario, settle, startRunner, submitTask } from "../lib.ts";
import { between } from "../random.ts";

/**
 * sshfs as a network filesystem that really caches: attributes, entries and directory listings kept 5 s, so a
 * runner on one mount sees another's renames late, and finds files gone that its listing still shows.
 */
const CACHING = "cache=yes,attr_timeout=5,entry_timeout=5,negative_timeout=5,dir_cache=yes,dcache_timeout=5";

async function mount(remoteDir: string, at: string): Promise<void> {
  mkdirSync(at, { recursive: true });
  await execa("sshfs", ["-F", devCluster.sshConfig, "-o", CACHING, `${devCluster.rootAlias}:${remoteDir}`, at]);
}

/**
 * One lease served by three runners: one on the directory itself and two on two sshfs mounts of it (through the
 * dev cluster's loopback sshd). Submitters write through the directory and through a mount. Every acknowledged
 * task runs once at a time and ends well; none is lost to a stale listing, ENOENT or ESTALE.
 */
export const sshfsRunners: Scenario = {
  name: "3 runners, 2 on sshfs mounts with caching",
  needs: "cluster",
  runs: { full: 3, short: 1 },
  async run({ root, marks, random, short }) {
    const mounts = [join(marks, "..", "mount-a"), join(marks, "..", "mount-b")];
    await must(root, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"]);
    for (const at of mounts) await mount(root, at);
    const runners = mounts.map((at) => startRunner(at, "chaos"));
    try {
      const count = short ? 16 : 60;
      const submits = Array.from({ length: count }, (_, i) => {
        const via = i % 2 === 0 ? root : (mounts[0] as string);
        return submitTask(via, { lease: "chaos", marks, sleepMs: between(random, 50, 500), cpus: 1 });
      });
      const ids = (await Promise.all(submits)).filter((id): id is string => !!id);
      await settle(root, "chaos", "300s");
      return judgeRun(await histories(root, "chaos", marks, ids), null);
    } finally {
      for (const runner of runners) runner.kill("SIGTERM");
      await Promise.all(runners);
      for (const at of mounts) await execa("fusermount", ["-u", "-z", at], { reject: false });
    }
  },
};
