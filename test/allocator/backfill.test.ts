import { describe, expect, test } from "vitest";
import { estimateStart } from "../../src/allocator/backfill.ts";
import type { ClusterState } from "../../src/allocator/schema.ts";
import { devCluster, HOUR, MIN, NOW, node, pending, running, strategy } from "./fixtures.ts";

const a100 = (gpusPerNode: number, wallSeconds: number, timeMinSeconds: number | null = null) =>
  strategy({ id: "a100", partition: "gpu-a100-80", gpuType: "a100_80g", gpusPerNode, wallSeconds, timeMinSeconds });

const busyA100 = (used: number, name: string) => node(name, { gpuType: "a100_80g", gpus: 4, usedGpus: used, cpus: 64 });
const busyA6000 = (used: number, name: string, cpuAlloc = 0) =>
  node(name, { gpuType: "a6000", gpus: 4, usedGpus: used, cpus: 32, cpuAlloc });

/**
 * a100-01: 2 of 4 GPUs busy until +2h. a100-02: full until +5h. A pending whole-node job (8h) fits first on
 * a100-01 at +2h, so a100-01 has a hole of 2 GPUs for 2 hours.
 */
function holeBeforeWholeNodeJob(): ClusterState {
  const jobs = [
    running("100", ["a100-01"], 2 * HOUR, { partition: "gpu-a100-80", gres: "gpu:a100_80g:2" }),
    running("101", ["a100-02"], 5 * HOUR, { partition: "gpu-a100-80", gres: "gpu:a100_80g:4" }),
    pending("200", { partition: "gpu-a100-80", gres: "gpu:a100_80g:4", timeLimit: 8 * HOUR }),
  ];
  return devCluster(jobs, [busyA100(2, "a100-01"), busyA100(4, "a100-02")]);
}

describe("estimateStart", () => {
  test("idle: GPUs free now and nothing reserved", () => {
    expect(estimateStart(strategy(), devCluster())).toEqual({
      startEpoch: NOW,
      grantedSeconds: 2 * HOUR + 59 * MIN,
      basis: "idle",
      detail: "4 a6000 free now on a6000-01",
    });
  });

  test("a hole fits a 1h job before a pending whole-node job, but not a 3h job", () => {
    const state = holeBeforeWholeNodeJob();
    expect(estimateStart(a100(2, HOUR), state)).toMatchObject({
      startEpoch: NOW,
      grantedSeconds: HOUR,
      basis: "hole",
      detail: "now: a hole of 2h on a100-01 until job 200 starts",
    });
    expect(estimateStart(a100(2, 3 * HOUR), state)).toMatchObject({
      startEpoch: NOW + 5 * HOUR,
      grantedSeconds: 3 * HOUR,
      basis: "queue",
      detail: "in 5h, when job 101 ends, on a100-02",
    });
  });

  test("--time-min lets a 3h job start now in the 2h hole, granted the hole", () => {
    expect(estimateStart(a100(2, 3 * HOUR, 45 * MIN), holeBeforeWholeNodeJob())).toMatchObject({
      startEpoch: NOW,
      grantedSeconds: 2 * HOUR,
      basis: "hole",
    });
  });

  test("a time-min longer than the hole does not fit it", () => {
    expect(estimateStart(a100(2, 3 * HOUR, 150 * MIN), holeBeforeWholeNodeJob())).toMatchObject({
      startEpoch: NOW + 5 * HOUR,
    });
  });

  test("queue: behind running jobs, at the first end that frees enough", () => {
    const jobs = [
      running("1", ["a6000-01"], HOUR, { partition: "gpu-a6000", gres: "gpu:a6000:4" }),
      running("2", ["a6000-02"], 2 * HOUR, { partition: "gpu-a6000", gres: "gpu:a6000:4" }),
    ];
    const state = devCluster(jobs, [busyA6000(4, "a6000-01"), busyA6000(4, "a6000-02")]);
    expect(estimateStart(strategy(), state)).toMatchObject({
      startEpoch: NOW + HOUR,
      basis: "queue",
      detail: "in 1h, when job 1 ends, on a6000-01",
    });
  });

  test("a pending job planned on named nodes reserves those: the other node stays idle for us", () => {
    const planned = pending("300", { partition: "gpu-a6000", gres: "gpu:a6000:4", schedNodes: ["a6000-01"] });
    expect(estimateStart(strategy(), devCluster([planned]))).toMatchObject({
      startEpoch: NOW,
      basis: "idle",
      detail: "4 a6000 free now on a6000-02",
    });
  });

  test("pending jobs are placed in the order of their planned start, not the list's", () => {
    // a100-01 free at +1h, a100-02 at +2h. By planned start: 402 (1h) takes a100-01 from +1h to +2h, then 401
    // (3h) takes a node from +2h, and we get the other at +2h. In list order we would wait until +3h.
    const jobs = [
      running("1", ["a100-01"], HOUR, { partition: "gpu-a100-80", gres: "gpu:a100_80g:4" }),
      running("2", ["a100-02"], 2 * HOUR, { partition: "gpu-a100-80", gres: "gpu:a100_80g:4" }),
      pending("401", { partition: "gpu-a100-80", gres: "gpu:a100_80g:4", timeLimit: 3 * HOUR }),
      pending("402", { partition: "gpu-a100-80", gres: "gpu:a100_80g:4", timeLimit: HOUR, startIn: HOUR }),
    ];
    const state = devCluster(jobs, [busyA100(4, "a100-01"), busyA100(4, "a100-02")]);
    expect(estimateStart(a100(4, HOUR), state)).toMatchObject({ startEpoch: NOW + 2 * HOUR, basis: "queue" });
  });

  test("a pending job of another partition or GPU type does not compete", () => {
    const jobs = [
      pending("500", { partition: "gpu-a100-80", gres: "gpu:a100_80g:4", nodeCount: 2 }),
      pending("501", { partition: "gpu-a6000", gres: "gpu:rtx3090:1" }),
    ];
    expect(estimateStart(strategy(), devCluster(jobs))).toMatchObject({ startEpoch: NOW, basis: "idle" });
  });

  test("a node with free GPUs but no free CPUs is not free", () => {
    const jobs = [
      running("600", ["a6000-01"], HOUR, { partition: "gpu-a6000", gres: "" }),
      running("601", ["a6000-02"], 3 * HOUR, { partition: "gpu-a6000", gres: "gpu:a6000:4" }),
    ];
    const state = devCluster(jobs, [busyA6000(0, "a6000-01", 32), busyA6000(4, "a6000-02")]);
    expect(estimateStart(strategy(), state)).toMatchObject({
      startEpoch: NOW + HOUR,
      detail: "in 1h, when job 600 ends, on a6000-01",
    });
  });

  test("CPUs per node count: 8 free CPUs do not take a 16-CPU share", () => {
    const state = devCluster([], [busyA6000(0, "a6000-01", 24), busyA6000(0, "a6000-02", 24)]);
    expect(estimateStart(strategy({ cpusPerNode: 8 }), state)).toMatchObject({ basis: "idle" });
    expect(estimateStart(strategy({ cpusPerNode: 16 }), state)).toBeNull();
  });

  test("a multi-node strategy needs its share on distinct nodes at once", () => {
    const jobs = [running("700", ["a6000-01"], HOUR, { partition: "gpu-a6000", gres: "gpu:a6000:3" })];
    const state = devCluster(jobs, [busyA6000(3, "a6000-01")]);
    const twoByTwo = strategy({ id: "a6000:2x2", nodes: 2, gpusPerNode: 2 });
    expect(estimateStart(twoByTwo, state)).toMatchObject({
      startEpoch: NOW + HOUR,
      detail: "in 1h, when job 700 ends, on a6000-01, a6000-02",
    });
    expect(estimateStart({ ...twoByTwo, gpusPerNode: 1 }, state)).toMatchObject({
      startEpoch: NOW,
      detail: "1 a6000 each free now on a6000-01, a6000-02",
    });
  });

  test("a job that never ends holds its GPUs: no estimate", () => {
    const forever = {
      ...running("800", ["rtx3090-01"], 0, { partition: "interactive-rtx3090", gres: "gpu:rtx3090:2" }),
    };
    const state = devCluster(
      [{ ...forever, end: null, timeLeft: { kind: "unlimited" } }],
      [node("rtx3090-01", { gpuType: "rtx3090", gpus: 2, usedGpus: 2, cpus: 16 })],
    );
    const rtx = strategy({ partition: "interactive-rtx3090", gpuType: "rtx3090", gpusPerNode: 1 });
    expect(estimateStart(rtx, state)).toBeNull();
  });
});
