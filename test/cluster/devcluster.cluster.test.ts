import { execFileSync, spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { devCluster } from "../helpers/cluster.ts";

// What up.sh promises (test/cluster/README.md), checked on the live cluster it brought up.
const run = (cmd: string, args: string[]) => execFileSync(cmd, args, { encoding: "utf8" });

describe("the dev cluster", () => {
  test("has the GPU-cluster partitions with their typed fake GPUs", () => {
    const lines = run("sinfo", ["-h", "-o", "%R %D %G"]).trim().split("\n").sort();
    expect(lines).toEqual([
      "gpu-a100-80 2 gpu:a100_80g:4",
      "gpu-a6000 2 gpu:a6000:4",
      "gpu-mig 1 gpu:1g.10gb:7",
      "interactive-rtx3090 1 gpu:rtx3090:2",
      "standard 2 (null)",
    ]);
  });

  test("has eight nodes that accept jobs", () => {
    const nodes = run("sinfo", ["-N", "-h", "-o", "%N %t"]).trim().split("\n");
    expect(new Set(nodes.map((l) => l.split(" ")[0])).size).toBe(8);
    for (const line of nodes) expect(line).toMatch(/ (idle|mix|alloc|plnd)$/);
  });

  test("runs backfill with short intervals", () => {
    const conf = run("scontrol", ["show", "config"]);
    expect(conf).toMatch(/SchedulerType\s+= sched\/backfill/);
    expect(conf).toMatch(/SchedulerParameters\s+= .*bf_interval=5/);
  });

  test("keeps accounts: sshare knows root in lab and labuser in research", () => {
    const rows = run("sshare", ["-a", "-P", "-n", "-o", "Account,User"]);
    expect(rows).toMatch(/lab\|root/);
    expect(rows).toMatch(/research\|labuser/);
  });

  test("is reachable over the loopback sshd through a ControlMaster-ready alias, as root and as labuser", () => {
    for (const [alias, user] of [
      [devCluster.rootAlias, "root"],
      [devCluster.userAlias, "labuser"],
    ] as const) {
      expect(run("ssh", ["-F", devCluster.sshConfig, alias, "id -un"]).trim()).toBe(user);
    }
    expect(run("ssh", ["-F", devCluster.sshConfig, "-G", devCluster.rootAlias])).toMatch(/controlmaster auto/);
  });
});

describe("up.sh when it cannot work", () => {
  test("refuses to run without root, and says why and what to do", () => {
    const script = join(import.meta.dirname, "up.sh");
    const result = spawnSync("runuser", ["-u", "labuser", "--", "bash", script], { encoding: "utf8" });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/rv-devcluster: ERROR: must run as root .*try: sudo/);
  });
});
