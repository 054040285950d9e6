import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  type ClusterGpuFacts,
  type GpuPool,
  parseScontrolNodes,
  parseScontrolPartitions,
  parseSqueue,
  summarizeGpus,
} from "../../src/slurm/index.ts";

const live = (name: string) => readFileSync(join(import.meta.dirname, "fixtures", "live", name), "utf8");

// One moment of the dev cluster, captured together: a6000-01 full, a6000-02 held by backfill (IDLE+PLANNED)
// for two pending a6000 jobs, 2 of 4 A100s and 3 of 7 MIG slices busy.
const busy: ClusterGpuFacts = {
  partitions: parseScontrolPartitions(live("scontrol-show-partition-busy.out")).records,
  nodes: parseScontrolNodes(live("scontrol-d-show-node.out")).records,
  pending: parseSqueue(live("squeue-pipe.out"), { timeZone: "UTC" }).records,
};

const pool = (pools: GpuPool[], partition: string) => pools.find((p) => p.partition === partition);

describe("summarizeGpus", () => {
  test("counts GPUs per partition and type: allocated, idle, planned for backfill, and pending demand", () => {
    const pools = summarizeGpus(busy);
    expect(pools.map((p) => `${p.partition}/${p.type}`).sort()).toEqual([
      "gpu-a100-80/a100_80g",
      "gpu-a6000/a6000",
      "gpu-mig/1g.10gb",
      "interactive-rtx3090/rtx3090",
    ]);
    expect(pool(pools, "gpu-a100-80")).toMatchObject({
      total: 8,
      allocated: 2,
      idle: 6,
      planned: 0,
      maxFreeOnOneNode: 4,
      pendingDemand: 0,
    });
    // 4 pending GPUs of job 12, and 1 GPU on each of 2 nodes for job 11
    expect(pool(pools, "gpu-a6000")).toMatchObject({
      total: 8,
      allocated: 4,
      idle: 0,
      planned: 4,
      maxFreeOnOneNode: 0,
      pendingDemand: 6,
    });
    expect(pool(pools, "gpu-mig")).toMatchObject({ total: 7, allocated: 3, idle: 4, maxFreeOnOneNode: 4 });
    expect(pool(pools, "interactive-rtx3090")).toMatchObject({ total: 2, allocated: 1, idle: 1, maxFreeOnOneNode: 1 });
    for (const p of pools) expect(p.allocated + p.idle + p.planned + p.unavailable).toBe(p.total);
  });

  test("GPUs on drained or down nodes, or in a partition that is not up, are unavailable, not idle", () => {
    const drained = busy.nodes.map((n) =>
      n.name === "a100-02" ? { ...n, state: { ...n.state, flags: [...n.state.flags, "drain" as const] } } : n,
    );
    const down = busy.partitions.map((p) => (p.name === "gpu-mig" ? { ...p, state: "DOWN" } : p));
    const pools = summarizeGpus({ ...busy, nodes: drained, partitions: down });
    expect(pool(pools, "gpu-a100-80")).toMatchObject({ idle: 2, unavailable: 4, maxFreeOnOneNode: 2 });
    expect(pool(pools, "gpu-mig")).toMatchObject({ idle: 0, unavailable: 4, maxFreeOnOneNode: 0 });
  });
});
