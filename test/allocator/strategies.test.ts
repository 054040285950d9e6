import { describe, expect, test } from "vitest";
import type { SiteProfile } from "../../src/allocator/profile/schema.ts";
import type { AllocRequest, ClusterState } from "../../src/allocator/schema.ts";
import { generateStrategies } from "../../src/allocator/strategies.ts";
import { ask, devCluster, HOUR, MIN, node, pending, rivanna, rivannaWith, running } from "./fixtures.ts";

function generate(request: AllocRequest, state: ClusterState = devCluster(), profile: SiteProfile | null = rivanna) {
  const { strategies, dropped } = generateStrategies(request, state, profile);
  const why = (idStart: string) => dropped.filter((c) => c.strategy.id.startsWith(idStart)).map((c) => c.why);
  return { strategies, dropped, ids: strategies.map((s) => s.id), why };
}

describe("pools and types", () => {
  test("4 GPUs of any type: a6000 and a100_80 as 1x4 and 2x2; MIG, interactive and 4x1 ruled out, with reasons", () => {
    const { ids, why } = generate(ask({ gpus: 4 }));
    expect(ids).toEqual([
      "a6000:1x4:2h59m",
      "a6000:1x4:2h59m-min45m",
      "a6000:2x2:2h59m",
      "a6000:2x2:2h59m-min45m",
      "a100_80:1x4:2h59m",
      "a100_80:1x4:2h59m-min45m",
      "a100_80:2x2:2h59m",
      "a100_80:2x2:2h59m-min45m",
    ]);
    expect(why("mig")).toEqual(["mig in gpu-mig: a MIG slice is for 1-GPU work, you asked for 4"]);
    expect(why("rtx3090")).toEqual(["rtx3090 in interactive-rtx3090: at most 2 GPUs per job, you asked for 4"]);
    expect(why("a6000:4x1")).toEqual(["a6000 in gpu-a6000, 4x1: needs 4 nodes able to take 1 a6000, gpu-a6000 has 2"]);
  });

  test("a type matches a profile key or a GRES type; the other pools are dropped as not asked", () => {
    expect(generate(ask({ gpus: 4, types: ["a6000"] })).ids.every((id) => id.startsWith("a6000:"))).toBe(true);
    const byGres = generate(ask({ gpus: 4, types: ["a100_80g"] }));
    expect(byGres.ids).toContain("a100_80:1x4:2h59m");
    expect(byGres.ids.some((id) => id.startsWith("a6000"))).toBe(false);
    expect(byGres.why("a6000:1x4")).toEqual(["a6000 in gpu-a6000: not among the types asked (a100_80g)"]);
  });

  test("a pinned partition keeps only its pools", () => {
    const { ids, why } = generate(ask({ gpus: 2, partition: "gpu-a100-80" }));
    expect(new Set(ids.map((id) => id.split(":")[0]))).toEqual(new Set(["a100_80"]));
    expect(why("a6000")).toEqual(["a6000 in gpu-a6000: you asked for partition gpu-a100-80"]);
  });

  test("without a profile, pools are named by GRES type and VRAM, SU rate and profile key are unknown", () => {
    const { strategies } = generate(ask({ gpus: 1, minVramGb: 40 }), devCluster(), null);
    const a100 = strategies.find((s) => s.id === "a100_80g:1x1:2h59m");
    expect(a100).toMatchObject({ profileKey: null, kind: "gpu", vramGb: null, suPerGpuHour: null });
    // unknown VRAM is kept: rank says so
    expect(strategies.some((s) => s.id === "1g.10gb:1x1:2h59m")).toBe(true);
  });
});

describe("VRAM", () => {
  test("pools with less VRAM than asked are dropped, with the numbers", () => {
    const { ids, why } = generate(ask({ gpus: 1, minVramGb: 40 }));
    expect(new Set(ids.map((id) => id.split(":")[0]))).toEqual(new Set(["a6000", "a100_80"]));
    expect(why("rtx3090")).toEqual(["rtx3090 in interactive-rtx3090: 24 GB of VRAM, you need 40"]);
    expect(why("mig")).toEqual(["mig in gpu-mig: 10 GB of VRAM, you need 40"]);
  });
});

describe("topologies", () => {
  test("8 GPUs on 4-GPU nodes: only 2x4; a node holds at most 4, and 4 or 8 nodes are more than there are", () => {
    const { ids, why } = generate(ask({ gpus: 8, types: ["a6000"] }));
    expect(ids).toEqual(["a6000:2x4:2h59m", "a6000:2x4:2h59m-min45m"]);
    expect(why("a6000:1x8")).toEqual(["a6000 in gpu-a6000, 1x8: a node holds at most 4 a6000"]);
    expect(why("a6000:4x2")[0]).toMatch(/needs 4 nodes/);
    expect(why("a6000:8x1")[0]).toMatch(/needs 8 nodes/);
  });

  test("the profile's GPUs per node caps a topology below the node's size", () => {
    const { ids, why } = generate(
      ask({ gpus: 4, types: ["a6000"] }),
      devCluster(),
      rivannaWith("a6000", { perNode: 2 }),
    );
    expect(ids).toEqual(["a6000:2x2:2h59m", "a6000:2x2:2h59m-min45m"]);
    expect(why("a6000:1x4")).toEqual(["a6000 in gpu-a6000, 1x4: a node holds at most 2 a6000"]);
  });

  test("nodes in the request pin the topology; an uneven split is refused", () => {
    expect(generate(ask({ gpus: 4, types: ["a6000"], nodes: 2 })).ids).toEqual([
      "a6000:2x2:2h59m",
      "a6000:2x2:2h59m-min45m",
    ]);
    const uneven = generate(ask({ gpus: 4, types: ["a6000"], nodes: 3 }));
    expect(uneven.ids).toEqual([]);
    expect(uneven.why("a6000")).toEqual(["a6000 in gpu-a6000, 3x2: 4 GPUs do not split evenly over 3 nodes"]);
  });

  test("CPUs and memory are totals, split per node (rounded up); nodes too small for a share are not counted", () => {
    const { strategies, why } = generate(ask({ gpus: 4, types: ["a6000"], cpus: 48, memMiB: 100_000 }));
    expect(strategies.map((s) => [s.id, s.cpusPerNode, s.memPerNode])).toEqual([
      ["a6000:2x2:2h59m", 24, "50000M"],
      ["a6000:2x2:2h59m-min45m", 24, "50000M"],
    ]);
    expect(why("a6000:1x4")).toEqual([
      "a6000 in gpu-a6000, 1x4: needs 1 node able to take 4 a6000, 48 CPUs, 100000M of memory, gpu-a6000 has 0",
    ]);
  });

  test("a drained node does not count towards a multi-node topology", () => {
    const drained = devCluster([], [node("a6000-02", { gpuType: "a6000", gpus: 4, cpus: 32, state: "DRAIN" })]);
    const { ids, why } = generate(ask({ gpus: 4, types: ["a6000"] }), drained);
    expect(ids).toEqual(["a6000:1x4:2h59m", "a6000:1x4:2h59m-min45m"]);
    expect(why("a6000:2x2")[0]).toMatch(/gpu-a6000 has 1$/);
  });
});

describe("walltimes", () => {
  const walls = (request: AllocRequest, profile: SiteProfile | null = rivanna) =>
    generate(request, devCluster(), profile).strategies.map((s) => [s.id, s.wallSeconds, s.timeMinSeconds]);

  test("the segment walltime and a --time-min variant of a quarter of it (at least 30 minutes)", () => {
    expect(walls(ask({ types: ["a6000"] }))).toEqual([
      ["a6000:1x1:2h59m", 2 * HOUR + 59 * MIN, null],
      ["a6000:1x1:2h59m-min45m", 2 * HOUR + 59 * MIN, 45 * MIN],
    ]);
    expect(walls(ask({ types: ["a6000"], totalSeconds: HOUR }))).toEqual([
      ["a6000:1x1:1h", HOUR, null],
      ["a6000:1x1:1h-min30m", HOUR, 30 * MIN],
    ]);
  });

  test("a walltime of 30 minutes or less has no shorter --time-min", () => {
    expect(walls(ask({ types: ["a6000"], totalSeconds: 25 * MIN }))).toEqual([["a6000:1x1:25m", 25 * MIN, null]]);
  });

  test("the request's segment beats the profile's; the partition's MaxTime caps it", () => {
    const long = ask({ types: ["a6000"], segmentSeconds: 3 * 24 * HOUR, totalSeconds: 7 * 24 * HOUR });
    expect(walls(long, null)[0]).toEqual(["a6000:1x1:2d", 2 * 24 * HOUR, null]);
    expect(walls(ask({ types: ["a6000"], segmentSeconds: 5 * HOUR }))[0]).toEqual(["a6000:1x1:5h", 5 * HOUR, null]);
  });

  test("without a profile or a segment in the request, the segment is 2h59m", () => {
    expect(walls(ask({ types: ["a6000"] }), null)[0]).toEqual(["a6000:1x1:2h59m", 2 * HOUR + 59 * MIN, null]);
  });
});

describe("MIG and interactive pools", () => {
  test("MIG: 1 GPU of small work, free", () => {
    const { strategies } = generate(ask({ gpus: 1 }));
    expect(strategies.find((s) => s.id === "mig:1x1:2h59m")).toMatchObject({
      kind: "mig",
      gpuType: "1g.10gb",
      vramGb: 10,
      suPerGpuHour: 0,
    });
    expect(generate(ask({ gpus: 2 })).why("mig")).toEqual([
      "mig in gpu-mig: a MIG slice is for 1-GPU work, you asked for 2",
    ]);
  });

  test("interactive: up to its per-job limit, and segments cut to its MaxTime (the lease renews them)", () => {
    const request = ask({ gpus: 2, segmentSeconds: 12 * HOUR });
    const rtx = generate(request).strategies.filter((s) => s.kind === "interactive");
    expect(rtx.map((s) => s.id)).toEqual(["rtx3090:1x2:8h", "rtx3090:1x2:8h-min2h"]);
  });

  test("interactive: the per-user limit counts what the user runs there already", () => {
    const mine = running("50", ["rtx3090-01"], HOUR, {
      partition: "interactive-rtx3090",
      gres: "gpu:rtx3090:1",
      user: "me",
    });
    const state = devCluster([mine], [node("rtx3090-01", { gpuType: "rtx3090", gpus: 2, usedGpus: 1, cpus: 16 })]);
    expect(generate(ask({ gpus: 2 }), state).why("rtx3090")).toEqual([
      "rtx3090 in interactive-rtx3090: per-user limit 2, you run 1",
    ]);
    expect(generate(ask({ gpus: 1 }), state).ids).toContain("rtx3090:1x1:2h59m");
  });
});

describe("per-user limits", () => {
  const limited = rivannaWith("a100_80", { maxPerUser: 4 });

  test("the user's running and pending GPUs in the pool count; other users' do not", () => {
    const jobs = [
      running("60", ["a100-01"], HOUR, { partition: "gpu-a100-80", gres: "gpu:a100_80g:2", user: "me" }),
      pending("61", { partition: "gpu-a100-80", gres: "gpu:a100_80g:1", user: "me" }),
      running("62", ["a100-02"], HOUR, { partition: "gpu-a100-80", gres: "gpu:a100_80g:4", user: "other" }),
    ];
    const { ids, why } = generate(ask({ gpus: 2 }), devCluster(jobs), limited);
    expect(why("a100_80")).toEqual(["a100_80 in gpu-a100-80: per-user limit 4, you run 3"]);
    expect(ids.some((id) => id.startsWith("a6000:"))).toBe(true);
    expect(generate(ask({ gpus: 1 }), devCluster(jobs), limited).ids).toContain("a100_80:1x1:2h59m");
  });

  test("a lease of parts is counted whole: --gpu 8 --parts 8 under a limit of 4 is refused, --gpu 4 --parts 4 is not", () => {
    const { why } = generate(ask({ gpus: 1, parts: 8 }), devCluster([]), limited);
    expect(why("a100_80")).toEqual(["a100_80 in gpu-a100-80: per-user limit 4, you run 0, and 8 parts of 1 ask 8"]);
    expect(generate(ask({ gpus: 1, parts: 4 }), devCluster([]), limited).ids).toContain("a100_80:1x1:2h59m");
    const overall = generate(ask({ gpus: 2, parts: 3 }), devCluster([]), { ...rivanna, maxGpusPerUser: 5 });
    expect(overall.why("a6000")).toEqual([
      "a6000 in gpu-a6000: at most 5 GPUs per user across the GPU partitions, you run 0, and 3 parts of 2 ask 6",
    ]);
  });

  test("the limit across GPU partitions counts every GPU partition, and spares MIG and interactive", () => {
    const jobs = [running("70", ["a6000-01"], HOUR, { partition: "gpu-a6000", gres: "gpu:a6000:4", user: "me" })];
    const { ids, why } = generate(ask({ gpus: 2 }), devCluster(jobs), { ...rivanna, maxGpusPerUser: 5 });
    expect(why("a100_80")).toEqual([
      "a100_80 in gpu-a100-80: at most 5 GPUs per user across the GPU partitions, you run 4",
    ]);
    expect(why("a6000")).toHaveLength(1);
    expect(ids).toContain("rtx3090:1x2:2h59m");
  });
});

describe("CPU-only requests", () => {
  test("one pool: the default partition, or the one named; CPUs and memory split over the nodes", () => {
    const cpu = generate(ask({ gpus: 0, cpus: 16, memMiB: 65_536, nodes: 2 })).strategies;
    expect(cpu.map((s) => [s.id, s.partition, s.kind, s.gpusPerNode, s.gpuType, s.cpusPerNode, s.memPerNode])).toEqual([
      ["cpu:2x0:2h59m", "standard", "cpu", 0, null, 8, "32G"],
      ["cpu:2x0:2h59m-min45m", "standard", "cpu", 0, null, 8, "32G"],
    ]);
    const named = generate(ask({ gpus: 0, partition: "gpu-a6000" })).strategies;
    expect(named.map((s) => s.partition)).toEqual(["gpu-a6000", "gpu-a6000"]);
  });
});

test("dropped candidates are not kept, have no estimate and no rank", () => {
  const { dropped } = generate(ask({ gpus: 4 }));
  expect(dropped.length).toBeGreaterThan(0);
  for (const c of dropped) expect(c).toMatchObject({ kept: false, estimate: null, rank: null, probe: null });
});
