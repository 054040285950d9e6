import { describe, expect, test } from "vitest";
import { decide, planProbes } from "../../src/allocator/decide.ts";
import { generateStrategies } from "../../src/allocator/strategies.ts";
import type { TestOnly } from "../../src/slurm/index.ts";
import { ask, devCluster, MIN, NOW, node, pending, rivanna, running } from "./fixtures.ts";

describe("planProbes", () => {
  const { strategies } = generateStrategies(ask({ gpus: 4 }), devCluster(), rivanna);

  test("one probe per partition, type and topology, its most permissive walltime, cheap pools first", () => {
    expect(planProbes(strategies).map((s) => s.id)).toEqual([
      "a6000:1x4:2h59m-min45m",
      "a6000:2x2:2h59m-min45m",
      "a100_80:1x4:2h59m-min45m",
      "a100_80:2x2:2h59m-min45m",
    ]);
  });

  test("at most maxProbes, and never more than one partition in a probe", () => {
    const probes = planProbes(strategies, 3);
    expect(probes).toHaveLength(3);
    for (const s of probes) expect(s.partition).not.toContain(",");
  });
});

/**
 * notes/allocation-under-contention.md: a6000 and a100 full with short jobs and a backlog (a whole-node job
 * among it), 4 of 7 MIG slices and 1 of 2 RTX 3090s busy.
 */
function contended() {
  const a6000 = { partition: "gpu-a6000", gres: "gpu:a6000:2" };
  const a100 = { partition: "gpu-a100-80", gres: "gpu:a100_80g:2" };
  const jobs = [
    running("1", ["a6000-01"], 3 * MIN, a6000),
    running("2", ["a6000-01"], 4 * MIN, a6000),
    running("3", ["a6000-02"], 2 * MIN, a6000),
    running("4", ["a6000-02"], 5 * MIN, a6000),
    running("5", ["a100-01"], 3 * MIN, { ...a100, gres: "gpu:a100_80g:4" }),
    running("6", ["a100-02"], 4 * MIN, { ...a100, gres: "gpu:a100_80g:4" }),
    running("7", ["mig-01"], 5 * MIN, { partition: "gpu-mig", gres: "gpu:1g.10gb:4" }),
    running("8", ["rtx3090-01"], 5 * MIN, { partition: "interactive-rtx3090", gres: "gpu:rtx3090:1" }),
    pending("20", { ...a6000, gres: "gpu:a6000:4" }),
    pending("21", a6000),
    pending("22", a100),
    pending("23", a100),
  ];
  return devCluster(jobs, [
    node("a6000-01", { gpuType: "a6000", gpus: 4, usedGpus: 4, cpus: 32, cpuAlloc: 2 }),
    node("a6000-02", { gpuType: "a6000", gpus: 4, usedGpus: 4, cpus: 32, cpuAlloc: 2 }),
    node("a100-01", { gpuType: "a100_80g", gpus: 4, usedGpus: 4, cpus: 64, cpuAlloc: 1 }),
    node("a100-02", { gpuType: "a100_80g", gpus: 4, usedGpus: 4, cpus: 64, cpuAlloc: 1 }),
    node("mig-01", { gpuType: "1g.10gb", gpus: 7, usedGpus: 4, cpus: 32, cpuAlloc: 1 }),
    node("rtx3090-01", { gpuType: "rtx3090", gpus: 2, usedGpus: 1, cpus: 16, cpuAlloc: 1 }),
  ]);
}

describe("decide", () => {
  test("1 GPU under contention: a free MIG slice now, ranked first; every other strategy says why it lost", () => {
    const decision = decide(ask({ gpus: 1 }), contended(), rivanna, new Map());
    expect(decision.at).toBe(NOW);
    const kept = decision.candidates.filter((c) => c.kept);
    expect(kept[0]).toMatchObject({
      rank: 1,
      strategy: { id: "mig:1x1:2h59m" },
      estimate: { startEpoch: NOW, basis: "idle", detail: "1 1g.10gb free now on mig-01" },
      why: "1 1g.10gb free now on mig-01; 0 SU: MIG is free",
    });
    const rtx = decision.candidates.find((c) => c.strategy.id === "rtx3090:1x1:2h59m");
    expect(rtx?.why).toMatch(/^dominated by mig:1x1:2h59m/);
    const a6000 = decision.candidates.find((c) => c.strategy.id === "a6000:1x1:2h59m");
    expect(a6000?.estimate?.startEpoch).toBeGreaterThan(NOW);
    for (const c of decision.candidates) expect(c.why).not.toBe("");
  });

  test("4 GPUs under contention: a6000 and a100 queue behind the backlog; the dropped pools are in the decision", () => {
    const decision = decide(ask({ gpus: 4 }), contended(), rivanna, new Map());
    const best = decision.candidates.find((c) => c.rank === 1);
    expect(best?.estimate?.basis).toBe("queue");
    expect(best?.estimate?.startEpoch).toBeGreaterThan(NOW);
    expect(decision.candidates.find((c) => c.strategy.id.startsWith("mig"))?.why).toMatch(/1-GPU work/);
  });

  test("a probe answers for its shape: an error drops every walltime of it, a later start raises them all", () => {
    const refused: TestOnly = {
      kind: "error",
      error: { kind: "qos_or_limit", message: "Job violates accounting/QOS policy", partition: null },
    };
    const later: TestOnly = {
      kind: "estimate",
      estimate: {
        jobId: "1",
        start: { kind: "at", epoch: NOW + 600 },
        cpus: 1,
        nodes: ["mig-01"],
        partition: "gpu-mig",
      },
    };
    const probes = new Map<string, TestOnly>([
      ["a6000:1x1:2h59m-min45m", refused],
      ["mig:1x1:2h59m-min45m", later],
    ]);
    const decision = decide(ask({ gpus: 1 }), devCluster(), rivanna, probes);
    const of = (id: string) => decision.candidates.find((c) => c.strategy.id === id);
    for (const id of ["a6000:1x1:2h59m", "a6000:1x1:2h59m-min45m"]) {
      expect(of(id)).toMatchObject({
        kept: false,
        why: "sbatch --test-only refused it: Job violates accounting/QOS policy",
      });
    }
    for (const id of ["mig:1x1:2h59m", "mig:1x1:2h59m-min45m"]) {
      expect(of(id)?.estimate).toMatchObject({ startEpoch: NOW + 600, basis: "test-only" });
    }
    expect(decision.candidates.find((c) => c.rank === 1)?.strategy.id).toBe("rtx3090:1x1:2h59m");
  });
});
