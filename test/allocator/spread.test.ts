import { describe, expect, test } from "vitest";
import { decide } from "../../src/allocator/decide.ts";
import type { ClusterState } from "../../src/allocator/schema.ts";
import { spreadStrategy } from "../../src/allocator/spread.ts";
import { ask, devCluster, HOUR, MIN, node, pending, rivanna, running } from "./fixtures.ts";

/**
 * Bench (g)'s churn: gpu-a6000 and gpu-a100-80 full of 1-GPU jobs of a few minutes with a backlog in each; the
 * MIG slices and the RTX 3090s too, so that no pool is idle (an idle pool would be the only one kept).
 */
function churn(): ClusterState {
  const pools = [
    { partition: "gpu-a6000", type: "a6000", nodes: ["a6000-01", "a6000-02"], gpus: 4, cpus: 32 },
    { partition: "gpu-a100-80", type: "a100_80g", nodes: ["a100-01", "a100-02"], gpus: 4, cpus: 64 },
    { partition: "gpu-mig", type: "1g.10gb", nodes: ["mig-01"], gpus: 7, cpus: 32 },
    { partition: "interactive-rtx3090", type: "rtx3090", nodes: ["rtx3090-01"], gpus: 2, cpus: 16 },
  ];
  let id = 0;
  const jobs = pools.flatMap((p) => {
    const gres = `gpu:${p.type}:1`;
    const held = p.nodes.flatMap((n) =>
      Array.from({ length: p.gpus }, (_, i) =>
        running(String(++id), [n], (1 + i) * MIN, { partition: p.partition, gres }),
      ),
    );
    return [...held, ...[0, 1, 2].map(() => pending(String(++id), { partition: p.partition, gres }))];
  });
  const nodes = pools.flatMap((p) =>
    p.nodes.map((n) => node(n, { gpuType: p.type, gpus: p.gpus, usedGpus: p.gpus, cpus: p.cpus, cpuAlloc: p.gpus })),
  );
  return devCluster(jobs, nodes);
}

const FOUR_PARTS = { gpus: 1, parts: 4 } as const;

describe("spreadStrategy: one multi-partition job per part over the kept strategies' partitions", () => {
  test("under churn, 1-GPU parts of a6000 or a100_80 ask both partitions, with an untyped GPU", () => {
    const decision = decide(ask({ ...FOUR_PARTS, types: ["a6000", "a100_80"] }), churn(), rivanna, new Map());
    const kept = decision.candidates.filter((c) => c.kept).map((c) => c.strategy.partition);
    expect(new Set(kept)).toEqual(new Set(["gpu-a6000", "gpu-a100-80"]));
    const spread = spreadStrategy(decision);
    expect(spread).toMatchObject({
      partition: expect.stringMatching(/^(gpu-a6000,gpu-a100-80|gpu-a100-80,gpu-a6000)$/),
      gpuType: null,
      nodes: 1,
      gpusPerNode: 1,
      wallSeconds: 2 * HOUR + 59 * MIN,
      timeMinSeconds: null,
      // what a part may get: the least VRAM, the highest SU rate
      vramGb: 48,
      suPerGpuHour: 508.89,
    });
    // the best strategy's partition is listed first
    const best = decision.candidates.find((c) => c.rank === 1)?.strategy;
    expect(spread?.partition.split(",")[0]).toBe(best?.partition);
    expect(spread?.id).toMatch(/^(a6000\+a100_80|a100_80\+a6000):1x1:2h59m$/);
  });

  test("the walltime is the shortest of the partitions' (the RTX 3090s' MaxTime is 8 h)", () => {
    // two parts: the profile allows 2 RTX 3090s per user
    const request = ask({ gpus: 1, parts: 2, types: ["a6000", "rtx3090"], segmentSeconds: 12 * HOUR });
    const spread = spreadStrategy(decide(request, churn(), rivanna, new Map()));
    expect(spread).toMatchObject({ wallSeconds: 8 * HOUR });
    expect(spread?.partition.split(",").sort()).toEqual(["gpu-a6000", "interactive-rtx3090"]);
  });

  test("a free MIG slice is the only strategy kept: no spread, the parts ask for it", () => {
    const idle = devCluster();
    const decision = decide(ask(FOUR_PARTS), idle, rivanna, new Map());
    expect(decision.candidates.find((c) => c.rank === 1)?.strategy.id).toBe("mig:1x1:2h59m");
    expect(spreadStrategy(decision)).toBeNull();
  });

  test("one partition asked, or one type: nothing to spread over", () => {
    const oneType = decide(ask({ ...FOUR_PARTS, types: ["a6000"] }), churn(), rivanna, new Map());
    expect(spreadStrategy(oneType)).toBeNull();
    const onePartition = decide(ask({ ...FOUR_PARTS, partition: "gpu-a100-80" }), churn(), rivanna, new Map());
    expect(spreadStrategy(onePartition)).toBeNull();
  });

  test("a partition with GPUs of a type the lease does not accept stays out: an untyped GPU could be of that type", () => {
    const state = churn();
    const mixed = {
      ...state,
      partitions: state.partitions.map((p) =>
        p.name === "gpu-a6000" ? { ...p, nodes: [...p.nodes, "rtx3090-01"] } : p,
      ),
    };
    const decision = decide(ask({ ...FOUR_PARTS, types: ["a6000", "a100_80"] }), mixed, rivanna, new Map());
    expect(decision.candidates.filter((c) => c.kept).map((c) => c.strategy.partition)).toContain("gpu-a6000");
    expect(spreadStrategy(decision)).toBeNull();
  });

  test("parts of two nodes each are not spread: a multi-partition job's nodes are all in one partition", () => {
    const request = ask({ gpus: 2, nodes: 2, parts: 2, types: ["a6000", "a100_80"] });
    const decision = decide(request, churn(), rivanna, new Map());
    expect(decision.candidates.find((c) => c.rank === 1)?.strategy.nodes).toBe(2);
    expect(spreadStrategy(decision)).toBeNull();
  });
});
