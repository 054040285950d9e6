import { describe, expect, test } from "vitest";
import type { Candidate, Strategy } from "../../src/allocator/index.ts";
import { racersOf, shapeLease, type UnshapedLease } from "../../src/lease/index.ts";
import { estimate, MIN, NOW, strategy } from "../allocator/fixtures.ts";

const lease: UnshapedLease = {
  v: 1,
  id: "sweep",
  kind: "slurm",
  createdAt: "2026-11-23T10:00:00.000Z",
  host: "laptop",
  state: "active",
  rv: "/shared/rv/bin/rv",
  request: {
    totalSeconds: 8 * 3600,
    account: "mylab",
    renewal: "chain",
    overlapSeconds: 0,
    idleReleaseSeconds: null,
  },
};

function directives(script: string): string[] {
  return script.split("\n").flatMap((line) => (line.startsWith("#SBATCH ") ? [line.slice(8)] : []));
}

describe("racersOf", () => {
  const shape = {
    partition: "gpu-a100-80",
    gpuType: "a100_80g",
    nodes: 2,
    gpusPerNode: 2,
    cpusPerNode: 12,
    memPerNode: "48G",
  };
  const kept = (rank: number, change: Partial<Strategy>): Candidate => ({
    strategy: strategy({ ...shape, ...change }),
    estimate: estimate(0),
    probe: null,
    rank,
    kept: true,
    why: "kept",
  });
  const dropped: Candidate = { ...kept(1, { id: "a6000:1x4:2h59m" }), rank: null, kept: false, why: "later" };
  const decision = {
    at: NOW,
    candidates: [
      kept(2, { id: "a100_80:2x2:2h59m-min45m", timeMinSeconds: 45 * MIN }),
      dropped,
      kept(1, { id: "a100_80:2x2:2h59m" }),
    ],
  };
  const racers = racersOf("/shared/rv", lease, decision, 2);

  test("each kept strategy races, best first with its own shape: resources per node, walltime, time-min, the account", () => {
    expect(racers.map((r) => r.candidate.strategy.id)).toEqual(["a100_80:2x2:2h59m", "a100_80:2x2:2h59m-min45m"]);
    const [full, shortened] = racers.map((r) => directives(r.script));
    expect(full).toEqual(
      expect.arrayContaining([
        "--partition='gpu-a100-80'",
        "--account='mylab'",
        "--nodes=2",
        "--ntasks-per-node=1",
        "--gres='gpu:a100_80g:2'",
        "--cpus-per-task=12",
        "--mem='48G'",
        "--time=02:59:00",
      ]),
    );
    expect(full?.some((d) => d.startsWith("--time-min"))).toBe(false);
    expect(shortened).toEqual(expect.arrayContaining(["--time=02:59:00", "--time-min=00:45:00"]));
  });

  test("each job claims as its rank in the attempt it belongs to, and writes its output beside it", () => {
    for (const r of racers) {
      const rank = r.candidate.rank;
      expect(r.script).toContain(`lease claim --lease "$RV_LEASE" --attempt 2 --rank ${rank} `);
      expect(directives(r.script)).toContain(`--output='/shared/rv/leases/sweep/alloc/2/${rank}.out'`);
    }
  });

  test("a walltime cut to end before a reservation: segment 0 asks for it, the lease's later segments the whole one", () => {
    const endsBefore = {
      name: "rv-maint",
      startEpoch: NOW + 330,
      endEpoch: NOW + 930,
      nodes: ["rtx3090-01"],
      maint: true,
      segmentSeconds: 20 * MIN,
    };
    const cut = strategy({
      id: "rtx3090:1x1:4m",
      partition: "interactive-rtx3090",
      gpuType: "rtx3090",
      gpusPerNode: 1,
      wallSeconds: 4 * MIN,
      endsBefore,
    });
    const candidate = { strategy: cut, estimate: estimate(0), probe: null, rank: 1, kept: true, why: "kept" };
    const [racer] = racersOf("/shared/rv", lease, { at: NOW, candidates: [candidate] }, 1);
    expect(directives(racer?.script ?? "")).toContain("--time=00:04:00");
    expect(shapeLease(lease, cut).request.segmentSeconds).toBe(20 * MIN);
  });
});
