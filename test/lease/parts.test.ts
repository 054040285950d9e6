import { describe, expect, test } from "vitest";
import { describeRequest } from "../../src/cli/commands/lease/describe.ts";
import { PROTOCOL_VERSION, type Segment, type SlurmLease } from "../../src/fsqueue/index.ts";
import {
  describePhase,
  leasePhase,
  NO_FAILURES,
  nextInPart,
  PAUSE_AFTER_FAILURES,
  partAsk,
  partOf,
  partsNow,
  planExtension,
  planFirstSegment,
  planRecovery,
  planRenewal,
  planReplacement,
  previousInPart,
  type RecoveryFacts,
  renewalSeconds,
  retryStep,
  segmentScript,
  segmentsOfPart,
  timeLeftSeconds,
} from "../../src/lease/index.ts";
import type { JobStateKind, JobStatus } from "../../src/slurm/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

/** `rv lease up --gpu 4 --parts 2 --segment 10m --time 30m`: two parts of 2 GPUs. */
const lease = (change: Partial<SlurmLease["request"]> = {}): SlurmLease =>
  makeSlurmLease({ request: { gpusPerNode: 2, parts: 2, totalSeconds: 1800, segmentSeconds: 600, ...change } });

const T0 = new Date("2026-12-03T12:00:00.000Z");
const CLOCK = { nowEpoch: 1_800_000_000, endsAtEpoch: 1_800_000_600 };

const segment = (n: number, change: Partial<Segment> = {}): Segment => ({
  v: PROTOCOL_VERSION,
  lease: "sweep",
  n,
  jobId: String(100 + n),
  submittedAt: "2026-12-03T11:00:00.000Z",
  submittedBy: "test",
  after: null,
  wallSeconds: 600,
  ...change,
});

const job = (kind: JobStateKind | null) => ({ state: kind === null ? null : { kind, raw: kind.toUpperCase() } });

describe("segment numbers interleave the parts", () => {
  test("segment n is part n % P, a part's next is n + P; with one part that is n + 1", () => {
    expect([0, 1, 2, 3, 4, 5].map((n) => partOf(n, 2))).toEqual([0, 1, 0, 1, 0, 1]);
    expect(nextInPart(1, 2)).toBe(3);
    expect(previousInPart(3, 2)).toBe(1);
    expect(previousInPart(1, 2)).toBeNull();
    expect([nextInPart(4, 1), previousInPart(4, 1), previousInPart(0, 1)]).toEqual([5, 3, null]);
    expect(
      segmentsOfPart(
        [0, 1, 2, 3, 5].map((n) => segment(n)),
        (s) => s.n,
        1,
        2,
      ).map((s) => s.n),
    ).toEqual([1, 3, 5]);
  });

  test("each part's first segment is numbered by its part, and each renews on its own", () => {
    expect(planFirstSegment(lease(), 600, 1)).toMatchObject({ n: 1, wallSeconds: 600, renew: true });
  });
});

describe("each part renews over its own segments, with the lease's whole time", () => {
  test("segment 1 (part 1) is followed by segment 3, sized from part 1's time alone", () => {
    const segments = [segment(0), segment(1), segment(2)];
    expect(planRenewal(lease(), segments, "101", CLOCK)).toEqual({
      kind: "renew",
      n: 3,
      wallSeconds: 600,
      after: "101",
      beginAt: null,
      overlapSeconds: 0,
      renew: true,
    });
  });

  test("a part whose time is spent stops, though another part's segments are fewer", () => {
    const segments = [segment(0), segment(1), segment(2), segment(4)];
    expect(planRenewal(lease(), segments, "104", CLOCK)).toEqual({
      kind: "stop",
      why: "the lease's total time is spent",
    });
    expect(planRenewal(lease(), segments, "101", CLOCK)).toMatchObject({ kind: "renew", n: 3, renew: true });
  });

  test("a segment whose part successor exists is planned once", () => {
    expect(planRenewal(lease(), [segment(0), segment(1), segment(2)], "100", CLOCK)).toEqual({
      kind: "stop",
      why: "segment 2 exists",
    });
  });

  test("overlap: the next runners take the inbox over from the part's previous segment, n - P", () => {
    const overlap = lease({ renewal: "overlap" });
    const script = segmentScript("/scratch/me/.rv", overlap, { ...planFirstSegment(overlap, 600, 3), n: 3 });
    expect(script).toContain("--take-over-from 1");
    expect(segmentScript("/scratch/me/.rv", overlap, planFirstSegment(overlap, 600, 1))).not.toContain(
      "--take-over-from",
    );
  });

  test("extension plans a part's next segment as n + P", () => {
    const part0 = [segment(0), segment(2), segment(4)];
    expect(planExtension(lease(), 600, part0, true)).toMatchObject({ kind: "submit", segment: { n: 6, after: null } });
  });
});

describe("a part that dies early is replaced as that part, while the others run", () => {
  const alive = (ids: string[]) => (jobId: string) => ids.includes(jobId);

  test("planReplacement over one part's segments submits that part's next", () => {
    expect(planReplacement(lease(), [segment(0)], alive(["101"]))).toMatchObject({ kind: "replace", n: 2 });
    expect(planReplacement(lease(), [segment(1)], alive(["101"]))).toMatchObject({ kind: "stop" });
  });

  const facts = (part: number, change: Partial<RecoveryFacts> & { states: Record<string, JobStateKind> }) => {
    const { states, ...rest } = change;
    const segments = segmentsOfPart([segment(0), segment(1)], (s) => s.n, part, 2);
    return {
      lease: lease(),
      part,
      segments,
      stateOf: (jobId: string) => states[jobId] ?? null,
      holding: segments.some((s) => states[s.jobId] === "running"),
      race: null,
      retry: NO_FAILURES,
      now: T0,
      ...rest,
    } satisfies RecoveryFacts;
  };

  test("part 0 cancelled while part 1 runs: part 0 gets segment 2, its failure counted as part 0's", () => {
    const states: Record<string, JobStateKind> = { "100": "cancelled", "101": "running" };
    const plan = planRecovery(facts(0, { states }));
    expect(plan).toMatchObject({ kind: "replace", n: 2, wallSeconds: 600 });
    expect(plan.retry.failures).toEqual([
      { key: "segment 0", at: T0.toISOString(), what: "segment 0 (job 100) ended CANCELLED with time left", part: 0 },
    ]);
    expect(planRecovery(facts(1, { states, retry: plan.retry }))).toEqual({ kind: "none", retry: plan.retry });
  });

  test("two parts lost at once are each the first failure of its part: both are replaced at once", () => {
    const states: Record<string, JobStateKind> = { "100": "node_fail", "101": "node_fail" };
    const first = planRecovery(facts(0, { states }));
    const second = planRecovery(facts(1, { states, retry: first.retry }));
    expect([first.kind, second.kind]).toEqual(["replace", "replace"]);
    expect(second).toMatchObject({ n: 3 });
  });

  test("a part that keeps failing backs off and pauses the lease; another part holding does not clear it", () => {
    let retry = NO_FAILURES;
    const steps: string[] = [];
    for (const [n, at] of [
      [0, 0],
      [2, 10],
      [4, 60],
      [6, 300],
    ] as const) {
      const now = new Date(T0.getTime() + at * 1000);
      const plan = planRecovery({ ...facts(0, { states: {} }), segments: [segment(n)], retry, now });
      steps.push(plan.kind);
      retry = planRecovery({ ...facts(1, { states: { "101": "running" } }), retry: plan.retry, now }).retry;
    }
    expect(steps).toEqual(["replace", "wait", "wait", "paused"]);
    expect(retry.paused?.why).toMatch(new RegExp(`^${PAUSE_AFTER_FAILURES} failures in a row, the last: segment 6`));
  });

  test("a part holding its GPUs ends its own failures in a row, not another part's", () => {
    const retry = {
      ...NO_FAILURES,
      failures: [
        { key: "segment 0", at: T0.toISOString(), what: "a", part: 0 },
        { key: "segment 1", at: T0.toISOString(), what: "b", part: 1 },
      ],
    };
    const plan = planRecovery(facts(1, { states: { "101": "running" }, retry }));
    expect(plan.retry.failures.map((f) => f.key)).toEqual(["segment 0"]);
    expect(retryStep(plan.retry, Math.floor(T0.getTime() / 1000) + 1, 1)).toEqual({ kind: "try" });
  });
});

describe("the phase counts parts", () => {
  const segments = [segment(0), segment(1), segment(2), segment(3)];

  test("running while any part holds its GPUs, saying how many of them do", () => {
    const phase = leasePhase(lease(), segments, [job("running"), job("completed"), job("pending"), job("pending")], {});
    expect(phase).toEqual({ kind: "running", segment: 0, jobId: "100", parts: { running: 1, of: 2 } });
    expect(describePhase(phase)).toBe("running (1 of 2 parts running; segment 0, job 100)");
    const both = leasePhase(
      lease(),
      segments,
      [job("completed"), job("completed"), job("running"), job("running")],
      {},
    );
    expect(describePhase(both)).toBe("running (2 of 2 parts running; segment 3, job 103)");
  });

  test("a part's refused replacement is that part's failure, not blamed on another", () => {
    const both = [segment(0), segment(1)];
    const refused = { 1: "Slurm refused segment 3 of lease sweep: Invalid account" };
    expect(leasePhase(lease(), both, [job("cancelled"), job("cancelled")], refused)).toEqual({
      kind: "failed",
      why: "segment 0 (job 100) ended CANCELLED with time left, and no segment follows",
    });
    expect(leasePhase(lease({ totalSeconds: 600 }), both, [job("completed"), job("cancelled")], refused)).toEqual({
      kind: "failed",
      why: `segment 1 (job 101) ended CANCELLED; ${refused[1]}`,
    });
  });

  test("queued while only first segments wait; renewing while later ones do", () => {
    const first = leasePhase(lease(), segments.slice(0, 2), [job("pending"), job("pending")], {});
    expect(describePhase(first)).toBe("queued (0 of 2 parts running; segment 0, job 100)");
    const later = leasePhase(lease(), segments, [job("completed"), job("cancelled"), job("pending"), job(null)], {});
    expect(describePhase(later)).toBe("renewing (0 of 2 parts running; segment 2, job 102)");
  });

  test("nothing alive: failed when one part ended early with time left, else expired", () => {
    const twoEach = [...segments, segment(4), segment(5)];
    const spent = [job("completed"), job("completed"), job("completed"), job("completed")];
    expect(leasePhase(lease(), twoEach, [...spent, job("timeout"), job("completed")], {})).toEqual({
      kind: "expired",
    });
    expect(leasePhase(lease(), segments, spent, {})).toEqual({
      kind: "failed",
      why: "segment 2 (job 102) ended COMPLETED with time left, and no segment follows",
    });
  });

  test("time left is the part with the most left; gaps are within a part", () => {
    const nowEpoch = 1_800_000_000;
    const jobs = [job("completed"), job("running"), job("pending")].map((j, i) => ({
      ...j,
      end: i === 1 ? { kind: "at" as const, epoch: nowEpoch + 100 } : null,
    })) as Pick<JobStatus, "state" | "end">[];
    // part 0: segment 2 queued (600) and 600 to ask; part 1: 100 s left of segment 1 and 1200 to ask
    expect(timeLeftSeconds(lease(), segments.slice(0, 3), jobs, nowEpoch)).toBe(1300);
    const at = (epoch: number) => ({ kind: "at" as const, epoch });
    const view = (n: number, start: number, end: number, kind: JobStateKind) => ({
      segment: { ...segment(n), ended: { state: "COMPLETED", start: null, end: null, nodes: [] } },
      job: { ...job(kind), jobId: String(100 + n), start: at(start), end: at(end), nodes: [], reason: null },
    });
    const views = [view(0, 0, 600, "completed"), view(1, 50, 650, "completed"), view(2, 610, 1210, "running")];
    expect(renewalSeconds(views as never, 2)).toEqual([null, 10]);
  });
});

describe("a lease of parts spread over partitions (spreadStrategy)", () => {
  const spread = () => lease({ partition: "gpu-a6000,gpu-a100-80", gpuType: null, gpusPerNode: 1, parts: 4 });
  const directives = (script: string) => script.split("\n").filter((l) => l.startsWith("#SBATCH"));

  test("every part's first segment and its renewals are one multi-partition job with an untyped GPU", () => {
    for (const n of [1, 5]) {
      const script = segmentScript("/scratch/me/.rv", spread(), { ...planFirstSegment(spread(), 600, 1), n });
      expect(directives(script)).toContain("#SBATCH --partition='gpu-a6000,gpu-a100-80'");
      expect(directives(script)).toContain("#SBATCH --gres='gpu:1'");
      expect(script).toContain(`export RV_SEGMENT=${n}`);
    }
  });

  test("the request says which partitions each part may run in", () => {
    expect(describeRequest(spread().request)).toBe(
      "gpu-a6000,gpu-a100-80: 4 parts of 1 node x 1 GPU, 00:30:00 in segments of 00:10:00 (chain)",
    );
  });
});

describe("one part's ask", () => {
  test("the lease's totals shared out: GPUs and nodes evenly, CPUs and memory rounded up", () => {
    const ask = {
      gpus: 4,
      types: [],
      minVramGb: null,
      cpus: 9,
      memMiB: 1001,
      totalSeconds: 3600,
      segmentSeconds: 600,
      nodes: 2,
      partition: null,
      account: null,
    };
    expect(partAsk(ask, 2)).toEqual({ ...ask, gpus: 2, cpus: 5, memMiB: 501, nodes: 1, parts: 2 });
    expect(partAsk({ ...ask, cpus: null, memMiB: null, nodes: null }, 4)).toMatchObject({ gpus: 1, nodes: null });
  });
});

describe("each part as it stands now (rv lease show)", () => {
  const view = (n: number, kind: JobStateKind | null) => ({
    segment: segment(n),
    job: { ...job(kind), jobId: String(100 + n), start: null, end: null, nodes: [], reason: null },
  });

  test("a part's running segment (the newest, in an overlap), else its queued one, else its last", () => {
    const views = [view(0, "cancelled"), view(1, "running"), view(2, "pending"), view(3, "running"), view(5, null)];
    expect(partsNow(views as never, 2)).toEqual([
      { part: 0, segment: 2, jobId: "102", state: "PENDING" },
      { part: 1, segment: 3, jobId: "103", state: "RUNNING" },
    ]);
    expect(partsNow([view(0, "completed")] as never, 2)).toEqual([
      { part: 0, segment: 0, jobId: "100", state: "COMPLETED" },
    ]);
  });

  test("where Slurm has each part: the partition it runs in, or all it may run in while it waits", () => {
    const where = (n: number, kind: JobStateKind, partition: string) => {
      const v = view(n, kind);
      return { ...v, job: { ...v.job, partition } };
    };
    const views = [where(0, "running", "gpu-a100-80"), where(1, "pending", "gpu-a6000,gpu-a100-80")];
    expect(partsNow(views as never, 2).map((p) => p.partition)).toEqual(["gpu-a100-80", "gpu-a6000,gpu-a100-80"]);
  });

  test("the request says how many parts of what", () => {
    expect(describeRequest(lease().request)).toBe(
      "gpu-a6000: 2 parts of 1 node x 2 GPUs, 00:30:00 in segments of 00:10:00 (chain)",
    );
    expect(describeRequest(lease({ parts: undefined }).request)).toMatch(/^gpu-a6000: 1 node x 2 GPUs/);
  });
});
