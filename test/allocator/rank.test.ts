import { describe, expect, test } from "vitest";
import { type RankEntry, rankCandidates } from "../../src/allocator/rank.ts";
import type { Estimate, Strategy } from "../../src/allocator/schema.ts";
import type { TestOnly } from "../../src/slurm/index.ts";
import { ask, estimate, HOUR, MIN, NOW, strategy } from "./fixtures.ts";

const mig = strategy({
  id: "mig:1x1:2h59m",
  partition: "gpu-mig",
  gpuType: "1g.10gb",
  profileKey: "mig",
  kind: "mig",
  gpusPerNode: 1,
  vramGb: 10,
  suPerGpuHour: 0,
});
const a6000 = strategy({ id: "a6000:1x1:2h59m", gpusPerNode: 1 });
const a100 = strategy({
  id: "a100_80:1x1:2h59m",
  partition: "gpu-a100-80",
  gpuType: "a100_80g",
  gpusPerNode: 1,
  vramGb: 80,
  suPerGpuHour: 508.89,
});

const entry = (s: Strategy, est: Estimate | null, probe: TestOnly | null = null): RankEntry => ({
  strategy: s,
  estimate: est,
  probe,
});

const probeAt = (epoch: number): TestOnly => ({
  kind: "estimate",
  estimate: { jobId: "9", start: { kind: "at", epoch }, cpus: 1, nodes: ["a6000-01"], partition: "gpu-a6000" },
});

const summary = (candidates: ReturnType<typeof rankCandidates>) =>
  candidates.map((c) => [c.strategy.id, c.rank, c.kept]);

describe("rankCandidates", () => {
  test("the earliest start wins; then the best fit: MIG fits small work best", () => {
    const ranked = rankCandidates([entry(a6000, estimate(0)), entry(mig, estimate(10 * MIN))], ask());
    expect(summary(ranked)).toEqual([
      ["a6000:1x1:2h59m", 1, true],
      ["mig:1x1:2h59m", 2, true],
    ]);
    const same = rankCandidates([entry(a6000, estimate(0)), entry(mig, estimate(45))], ask());
    expect(same[0]?.strategy.id).toBe("mig:1x1:2h59m");
  });

  test("starts within 60 s count as equal, and 61 s apart do not", () => {
    const dearer = strategy({ id: "dear", vramGb: 10, suPerGpuHour: 500 });
    const cheaper = strategy({ id: "cheap", vramGb: 48, suPerGpuHour: 100 });
    // dearer fits better; cheaper starts a little earlier
    const within = rankCandidates([entry(cheaper, estimate(0)), entry(dearer, estimate(60))], ask());
    expect(within.map((c) => c.strategy.id)).toEqual(["dear", "cheap"]);
    const apart = rankCandidates([entry(cheaper, estimate(0)), entry(dearer, estimate(61))], ask());
    expect(apart.map((c) => c.strategy.id)).toEqual(["cheap", "dear"]);
  });

  test("fit is measured against the VRAM asked when the request names it", () => {
    const ranked = rankCandidates([entry(a100, estimate(0)), entry(a6000, estimate(0))], ask({ minVramGb: 40 }));
    expect(ranked.map((c) => [c.strategy.id, c.kept])).toEqual([
      ["a6000:1x1:2h59m", true],
      ["a100_80:1x1:2h59m", false],
    ]);
  });

  test("a strategy no better in any way and worse in one is dropped, naming the one that beats it", () => {
    const ranked = rankCandidates([entry(a100, estimate(0)), entry(mig, estimate(0))], ask());
    const dropped = ranked.find((c) => c.strategy.id === a100.id);
    expect(dropped).toMatchObject({ kept: false, rank: null });
    expect(dropped?.why).toBe("dominated by mig:1x1:2h59m, which fits better, costs less and is no worse otherwise");
  });

  test("only a start that is sure (idle GPUs) rules others out: a later estimate is hedged by racing both", () => {
    const later = (basis: Estimate["basis"]) => estimate(20 * MIN, { basis, detail: "a hole" });
    for (const basis of ["hole", "queue", "test-only"] as const) {
      const ranked = rankCandidates([entry(a100, later(basis)), entry(mig, later(basis))], ask());
      expect(summary(ranked)).toEqual([
        ["mig:1x1:2h59m", 1, true],
        ["a100_80:1x1:2h59m", 2, true],
      ]);
    }
  });

  test("fewer nodes break a tie: 2x2 is dropped beside an equal 1x4", () => {
    const oneByFour = strategy();
    const twoByTwo = strategy({ id: "a6000:2x2:2h59m", nodes: 2, gpusPerNode: 2 });
    const ranked = rankCandidates([entry(twoByTwo, estimate(0)), entry(oneByFour, estimate(0))], ask({ gpus: 4 }));
    expect(summary(ranked)).toEqual([
      ["a6000:1x4:2h59m", 1, true],
      ["a6000:2x2:2h59m", null, false],
    ]);
    expect(ranked[1]?.why).toMatch(/needs fewer nodes/);
  });

  test("cost counts the whole request for its granted time", () => {
    const cheapLater = strategy({ id: "later", suPerGpuHour: 10 });
    const ranked = rankCandidates(
      [entry(cheapLater, estimate(HOUR)), entry(strategy(), estimate(0))],
      ask({ gpus: 4 }),
    );
    expect(summary(ranked)).toEqual([
      ["a6000:1x4:2h59m", 1, true],
      ["later", 2, true],
    ]);
    expect(ranked[0]?.why).toBe("free; 1703 SU for 2h59m");
    expect(ranked[1]?.why).toBe("free; 119 SU for 2h59m");
  });

  test("equal on every count: both kept, in id order", () => {
    const b = strategy({ id: "b" });
    const a = strategy({ id: "a" });
    expect(summary(rankCandidates([entry(b, estimate(0)), entry(a, estimate(30))], ask()))).toEqual([
      ["a", 1, true],
      ["b", 2, true],
    ]);
  });

  test("a --time-min variant is kept only when it starts sooner than its whole-walltime sibling", () => {
    const whole = strategy();
    const variant = strategy({ id: "a6000:1x4:2h59m-min45m", timeMinSeconds: 45 * MIN });
    const hole = estimate(0, { grantedSeconds: HOUR, basis: "hole" });
    const sooner = rankCandidates([entry(whole, estimate(2 * HOUR)), entry(variant, hole)], ask({ gpus: 4 }));
    expect(summary(sooner)).toEqual([
      ["a6000:1x4:2h59m-min45m", 1, true],
      ["a6000:1x4:2h59m", 2, true],
    ]);
    const asSoon = rankCandidates([entry(whole, estimate(0)), entry(variant, estimate(0))], ask({ gpus: 4 }));
    expect(summary(asSoon)).toEqual([
      ["a6000:1x4:2h59m", 1, true],
      ["a6000:1x4:2h59m-min45m", null, false],
    ]);
    expect(asSoon[1]?.why).toBe("a6000:1x4:2h59m starts as soon with its whole walltime: --time-min buys nothing here");
  });

  test("every kept candidate says why: MIG is free, unknown SU rates and VRAM are named", () => {
    const unknown = strategy({ id: "x", vramGb: null, suPerGpuHour: null, profileKey: null });
    const ranked = rankCandidates([entry(mig, estimate(5 * MIN)), entry(unknown, estimate(0))], ask({ minVramGb: 8 }));
    expect(ranked.map((c) => c.why)).toEqual([
      "free; SU rate unknown; VRAM unknown (no profile entry): check that it holds 8 GB",
      "free; 0 SU: MIG is free",
    ]);
  });

  test("at most `limit` are kept; the rest say their rank", () => {
    // each later one is cheaper: none dominates another
    const entries = Array.from({ length: 8 }, (_, i) =>
      entry(strategy({ id: `s${i}`, suPerGpuHour: 100 - i }), estimate(i * 2 * MIN)),
    );
    const ranked = rankCandidates(entries, ask({ gpus: 4 }));
    expect(ranked.filter((c) => c.kept).map((c) => c.rank)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(ranked.filter((c) => !c.kept).map((c) => c.why)).toEqual([
      "rank 7: only 6 are submitted",
      "rank 8: only 6 are submitted",
    ]);
    expect(rankCandidates(entries, ask({ gpus: 4 }), 2).filter((c) => c.kept)).toHaveLength(2);
  });
});

describe("with Slurm's probe", () => {
  test("an error probe drops the strategy with Slurm's reason", () => {
    const refused: TestOnly = {
      kind: "error",
      error: {
        kind: "node_config_unavailable",
        message: "Requested node configuration is not available",
        partition: null,
      },
    };
    const ranked = rankCandidates([entry(a6000, estimate(0), refused), entry(mig, estimate(HOUR))], ask());
    expect(summary(ranked)).toEqual([
      ["mig:1x1:2h59m", 1, true],
      ["a6000:1x1:2h59m", null, false],
    ]);
    expect(ranked[1]?.why).toBe("sbatch --test-only refused it: Requested node configuration is not available");
  });

  test("a probe under a minute later is the same start: the estimate stays idle", () => {
    const [only] = rankCandidates([entry(a6000, estimate(0), probeAt(NOW + 59))], ask());
    expect(only?.estimate).toMatchObject({ startEpoch: NOW, basis: "idle" });
  });

  test("a probe later than rv's estimate raises the start; an earlier one changes nothing", () => {
    const ranked = rankCandidates(
      [entry(a6000, estimate(0), probeAt(NOW + 2 * HOUR)), entry(a100, estimate(HOUR), probeAt(NOW))],
      ask(),
    );
    expect(summary(ranked)).toEqual([
      ["a100_80:1x1:2h59m", 1, true],
      ["a6000:1x1:2h59m", 2, true],
    ]);
    expect(ranked[1]?.estimate).toMatchObject({
      startEpoch: NOW + 2 * HOUR,
      basis: "test-only",
      detail: "sbatch --test-only says 2h later than rv's estimate (free)",
    });
    expect(ranked[0]?.estimate).toMatchObject({ startEpoch: NOW + HOUR, basis: "idle" });
  });

  test("a backfill hole stands against a later probe, which cannot see the backfill plan", () => {
    const hole = estimate(0, { basis: "hole", detail: "now: a hole of 3h59m on a100-02 until job 2117 starts" });
    const [only] = rankCandidates([entry(a100, hole, probeAt(NOW + 4 * HOUR))], ask());
    expect(only).toMatchObject({ kept: true, estimate: { startEpoch: NOW, basis: "hole" } });
  });

  test("a strategy rv sees no start for is dropped", () => {
    const ranked = rankCandidates([entry(a6000, null)], ask());
    expect(ranked[0]).toMatchObject({
      kept: false,
      why: "rv finds no time when gpu-a6000 has room for it: what holds its nodes has no end",
    });
  });
});
