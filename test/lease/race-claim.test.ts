import { readFileSync, readlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { type Race, raceRows, raceStanding, type Strategy } from "../../src/allocator/index.ts";
import { leasePaths, type Segment } from "../../src/fsqueue/index.ts";
import {
  type ClaimTiming,
  claimRace,
  claimTurn,
  loserJobIds,
  markStarted,
  partTakenBy,
  readClaim,
  readLatestRace,
  readLease,
  readSegments,
  recordEndedWinner,
  recordWin,
  writeLease,
  writeRace,
  writeSegment,
} from "../../src/lease/index.ts";
import type { JobStatus } from "../../src/slurm/index.ts";
import { makeHome } from "../helpers/home.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

const homes: { cleanup: () => void }[] = [];
afterEach(() => {
  for (const h of homes.splice(0)) h.cleanup();
});

function strategy(id: string, partition: string, gpuType: string, nodes = 1, gpusPerNode = 4): Strategy {
  return {
    id,
    partition,
    gpuType,
    profileKey: gpuType,
    kind: "gpu",
    nodes,
    gpusPerNode,
    cpusPerNode: null,
    memPerNode: null,
    wallSeconds: 10740,
    timeMinSeconds: null,
    vramGb: 48,
    suPerGpuHour: 1,
  };
}

const STRATEGIES = [
  strategy("a6000:1x4:2h59m", "gpu-a6000", "a6000"),
  strategy("a100_80:1x4:2h59m", "gpu-a100-80", "a100_80g"),
  strategy("a6000:2x2:2h59m", "gpu-a6000", "a6000", 2, 2),
];

/** Rank 2's job 102 claimed race 1 of lease sweep. */
const CLAIM = {
  v: 1 as const,
  lease: "sweep",
  attempt: 1,
  rank: 2,
  strategyId: "a100_80:1x4:2h59m",
  jobId: "102",
  part: 0,
  node: null,
  claimedAt: "2026-11-23T10:01:00.000Z",
};

function makeRace(jobIds: (string | null)[] = ["101", "102", "103"]): Race {
  return {
    v: 1,
    lease: "sweep",
    attempt: 1,
    startedAt: "2026-11-23T10:00:00.000Z",
    profile: null,
    request: {
      gpus: 4,
      types: [],
      minVramGb: null,
      cpus: null,
      memMiB: null,
      totalSeconds: 86400,
      segmentSeconds: 10740,
      nodes: null,
      partition: null,
      account: null,
    },
    decision: { at: 1_800_000_000, candidates: [] },
    entries: STRATEGIES.map((s, i) => ({
      rank: i + 1,
      strategy: s,
      estimate: null,
      jobId: jobIds[i] ?? null,
      refused: null,
      parts: 1,
      part: 0,
    })),
    shapes: false,
  };
}

/** A lease mid-race on a real filesystem, and a clock that only moves when the claim sleeps. */
function setUp() {
  const home = makeHome();
  homes.push(home);
  writeLease(home.root, makeSlurmLease({ id: "sweep", request: { partition: "gpu-a6000", gpusPerNode: 4 } }));
  const p = leasePaths(home.root, "sweep");
  writeRace(p, makeRace());
  let nowMs = 1_800_000_000_000;
  const timing = (onSleep: (ms: number) => void = () => {}): ClaimTiming => ({
    settleMs: 3000,
    deferMs: 30_000,
    pollMs: 500,
    now: () => new Date(nowMs),
    sleep: async (ms) => {
      nowMs += ms;
      onSleep(ms);
    },
  });
  const entrant = (rank: number) => ({
    lease: "sweep",
    attempt: 1,
    rank,
    strategyId: STRATEGIES[rank - 1]?.id ?? "?",
    jobId: String(100 + rank),
    part: 0,
    node: `node-${rank}`,
  });
  return { root: home.root, p, timing, entrant };
}

describe("claiming a race on the shared filesystem", () => {
  test("the first job to start claims the lease; one that starts later loses to it", async () => {
    const { p, timing, entrant } = setUp();
    const first = await claimRace(p, entrant(2), timing());
    expect(first).toMatchObject({ won: true, claim: { rank: 2, jobId: "102", strategyId: "a100_80:1x4:2h59m" } });
    const later = await claimRace(p, entrant(1), timing());
    expect(later).toEqual({ won: false, why: "strategy a100_80:1x4:2h59m (job 102) won the race" });
    expect(readClaim(p)?.jobId).toBe("102");
  });

  test("jobs started in the same scheduling pass: the better rank wins even if it claims second", async () => {
    const { p, timing, entrant } = setUp();
    // Rank 1 starts while rank 3 settles: rank 3 sees it, defers, and loses to its claim.
    let rank1: Promise<unknown> | undefined;
    const third = claimRace(
      p,
      entrant(3),
      timing((ms) => {
        if (ms === 3000 && !rank1) rank1 = claimRace(p, entrant(1), timing());
      }),
    );
    const [lost] = await Promise.all([third]);
    await rank1;
    expect(lost).toEqual({ won: false, why: "strategy a6000:1x4:2h59m (job 101) won the race" });
    expect(readClaim(p)?.rank).toBe(1);
  });

  test("a deferring job claims after all when the better one never does (it died starting)", async () => {
    const { p, timing, entrant } = setUp();
    const first = await claimRace(
      p,
      entrant(2),
      timing((ms) => {
        // The better-ranked job marked itself started, then died before its claim.
        if (ms === 3000) markStarted(p, 1, 1, "101", new Date());
      }),
    );
    expect(first).toMatchObject({ won: true, claim: { rank: 2 } });
  });

  test("claiming twice is harmless for the winner; a released lease has no race to win", async () => {
    const { p, timing, entrant } = setUp();
    expect((await claimRace(p, entrant(1), timing())).won).toBe(true);
    expect((await claimRace(p, entrant(1), timing())).won).toBe(true);
    const other = setUp();
    const lease = readLease(other.root, "sweep");
    if (lease?.kind !== "slurm") throw new Error("no lease");
    writeLease(other.root, { ...lease, state: "released" });
    expect(await claimRace(other.p, other.entrant(1), other.timing())).toEqual({
      won: false,
      why: "the lease was released",
    });
  });

  test("claimTurn defers only to a better rank", () => {
    expect(claimTurn([2, 3], 2)).toBe("claim");
    expect(claimTurn([1, 3], 2)).toBe("defer");
    expect(claimTurn([], 5)).toBe("claim");
  });
});

describe("the winner's record", () => {
  test("lease.json takes the winning shape; segment 0 names its job and the walltime Slurm granted", async () => {
    const { root, p, timing, entrant } = setUp();
    const outcome = await claimRace(p, entrant(3), timing());
    if (!outcome.won) throw new Error("lost");
    const race = readLatestRace(p);
    if (!race) throw new Error("no race");
    const start = 1_800_000_000;
    recordWin(root, race, outcome.claim, { startEpoch: start, endEpoch: start + 3600 });
    const lease = readLease(root, "sweep");
    expect(lease?.kind === "slurm" && lease.request).toMatchObject({
      partition: "gpu-a6000",
      gpuType: "a6000",
      nodes: 2,
      gpusPerNode: 2,
      segmentSeconds: 10740,
      totalSeconds: 3600,
    });
    expect(readSegments(p)).toMatchObject([{ n: 0, jobId: "103", wallSeconds: 3600, after: null }]);
    // segment 0's script and output are found where every segment's are: they lead to the winner's own
    writeFileSync(join(p.alloc, "1", "3.out"), "winner's log\n");
    expect(readFileSync(join(p.segments, "0.out"), "utf8")).toBe("winner's log\n");
    expect(readlinkSync(join(p.segments, "0.sh"))).toBe("../alloc/1/3.sh");
  });

  test("a winner whose job ended before it recorded segment 0 is recorded by whoever looks", async () => {
    const { root, p, timing, entrant } = setUp();
    const race = readLatestRace(p);
    if (!race) throw new Error("no race");
    const job = (kind: "running" | "node_fail") => () => ({
      state: { kind, raw: kind.toUpperCase() },
      start: { kind: "at" as const, epoch: 1_800_000_000 },
      end: { kind: "at" as const, epoch: 1_800_000_600 },
    });
    expect(recordEndedWinner(root, race, job("node_fail"))).toBeUndefined();
    await claimRace(p, entrant(2), timing());
    expect(recordEndedWinner(root, race, job("running"))).toBeUndefined();
    expect(readSegments(p)).toEqual([]);
    expect(recordEndedWinner(root, race, job("node_fail"))?.request).toMatchObject({ gpuType: "a100_80g" });
    expect(readSegments(p)).toMatchObject([{ n: 0, jobId: "102", wallSeconds: 600 }]);
    expect(recordEndedWinner(root, race, job("node_fail"))).toBeUndefined();
  });

  test("losers: every recorded job and every job under the race's name, but the winner", () => {
    const claim = { ...CLAIM, rank: 1, strategyId: "a6000:1x4:2h59m", jobId: "101" };
    expect(loserJobIds(makeRace(["101", null, "103"]), claim, ["103", "104"])).toEqual(["103", "104"]);
    expect(loserJobIds(makeRace(), undefined, [])).toEqual(["101", "102", "103"]);
  });
});

/** Slurm's word on a job, as squeue gives it. */
function job(jobId: string, kind: string, reason: string | null = null, start: number | null = null): JobStatus {
  return {
    jobId,
    source: "squeue",
    state: { kind, raw: kind.toUpperCase() },
    partition: null,
    nodes: [],
    start: start === null ? null : { kind: "at", epoch: start },
    end: null,
    reason,
  } as JobStatus;
}

describe("the race as people watch it", () => {
  test("before a claim: pending with Slurm's reason and planned start, a started one claiming, a refused one", () => {
    const race = makeRace(["101", "102", null]);
    race.entries[2] = { ...(race.entries[2] as Race["entries"][number]), refused: "QOSMaxGRESPerUser" };
    const rows = raceRows(race, undefined, [job("101", "pending", "Resources", 1_800_000_300), job("102", "running")]);
    expect(rows.map((r) => [r.rank, r.state, r.reason, r.startEpoch])).toEqual([
      [1, "pending", "Resources", 1_800_000_300],
      [2, "starting", "claiming the lease", null],
      [3, "refused", "QOSMaxGRESPerUser", null],
    ]);
    expect(raceStanding(rows)).toEqual({ kind: "on", waiting: 2 });
  });

  test("after a claim: the winner, losers still exiting, cancelled ones", () => {
    const rows = raceRows(makeRace(), CLAIM, [job("101", "cancelled"), job("102", "running"), job("103", "running")]);
    expect(rows.map((r) => r.state)).toEqual(["cancelled", "won", "lost"]);
    expect(raceStanding(rows)).toEqual({ kind: "won", jobId: "102" });
  });

  test("a race whose every job ended unclaimed is over, and says how each ended", () => {
    const rows = raceRows(makeRace(), undefined, [
      job("101", "cancelled"),
      job("102", "failed"),
      job("103", "timeout"),
    ]);
    expect(raceStanding(rows)).toEqual({ kind: "over", why: expect.stringContaining("a6000:1x4:2h59m: CANCELLED") });
  });
});

describe("a race of shapes (rv lease up --parts auto)", () => {
  /** The lease whole (rank 1, job 201), in halves (rank 2, jobs 202-203) and in 1-GPU parts (rank 3, jobs 204-207). */
  function shapeRace(refusedPart: number | null = null): Race {
    const shape = (rank: number, parts: number, gpusPerNode: number, firstJob: number) =>
      Array.from({ length: parts }, (_, part) => ({
        rank,
        strategy: strategy(`a6000:1x${gpusPerNode}:2h59m`, "gpu-a6000", "a6000", 1, gpusPerNode),
        estimate: null,
        jobId: rank === 3 && part === refusedPart ? null : String(firstJob + part),
        refused: rank === 3 && part === refusedPart ? "QOSMaxSubmitJobPerUserLimit" : null,
        parts,
        part,
      }));
    return {
      ...makeRace(),
      shapes: true,
      entries: [...shape(1, 1, 4, 201), ...shape(2, 2, 2, 202), ...shape(3, 4, 1, 204)],
    };
  }

  function setUpShapes(race = shapeRace()) {
    const set = setUp();
    writeRace(set.p, race);
    const entrant = (rank: number, part: number, jobId: string) => ({
      lease: "sweep",
      attempt: 1,
      rank,
      strategyId: `rank ${rank}`,
      jobId,
      part,
      node: "node-1",
    });
    return { ...set, race, entrant };
  }

  test("the first job of a shape to start claims the lease for its shape: its other parts find it theirs, another shape's jobs lose", async () => {
    const { p, timing, entrant } = setUpShapes();
    expect(await claimRace(p, entrant(3, 1, "205"), timing())).toMatchObject({
      won: true,
      claim: { rank: 3, jobId: "205", part: 1 },
    });
    // A part of the same shape, starting later: the lease is its too, claimed by the first.
    expect(await claimRace(p, entrant(3, 3, "207"), timing())).toMatchObject({ won: true, claim: { jobId: "205" } });
    expect(await claimRace(p, entrant(2, 0, "202"), timing())).toEqual({
      won: false,
      why: "strategy rank 3 (job 205) won the race",
    });
    expect(await claimRace(p, entrant(1, 0, "201"), timing())).toMatchObject({ won: false });
    expect(readClaim(p)?.jobId).toBe("205");
  });

  test("the winner's record: a lease of its shape's parts, each job the first segment of its part; one recording later changes nothing", async () => {
    const { root, p, race, timing, entrant } = setUpShapes();
    const outcome = await claimRace(p, entrant(3, 1, "205"), timing());
    if (!outcome.won) throw new Error("lost");
    const start = 1_800_000_000;
    recordWin(root, race, outcome.claim, { startEpoch: start, endEpoch: start + 3000 });
    const lease = readLease(root, "sweep");
    expect(lease?.kind === "slurm" && lease.request).toMatchObject({
      parts: 4,
      gpusPerNode: 1,
      nodes: 1,
      gpuType: "a6000",
    });
    expect(readSegments(p).map((s) => [s.n, s.jobId, s.wallSeconds, s.after])).toEqual([
      [0, "204", 10740, null],
      [1, "205", 3000, null],
      [2, "206", 10740, null],
      [3, "207", 10740, null],
    ]);
    expect(readSegments(p)[1]?.submittedBy).toBe(
      "rv lease up, part 1 of 4, strategy a6000:1x1:2h59m of 7 jobs (attempt 1)",
    );
    expect(readlinkSync(join(p.segments, "3.sh"))).toBe("../alloc/1/3-3.sh");
    // Part 3 starts later and records itself: what is on record stays.
    const member = await claimRace(p, entrant(3, 3, "207"), timing());
    if (!member.won) throw new Error("lost");
    recordWin(root, race, member.claim, { startEpoch: start + 60, endEpoch: start + 600 }, { jobId: "207", part: 3 });
    expect(readSegments(p).map((s) => s.wallSeconds)).toEqual([10740, 3000, 10740, 10740]);
  });

  test("a part whose id never reached race.json records itself when it starts; a refused part has no segment yet", async () => {
    const { root, p, race, timing, entrant } = setUpShapes(shapeRace(2));
    const outcome = await claimRace(p, entrant(3, 0, "204"), timing());
    if (!outcome.won) throw new Error("lost");
    recordWin(root, race, outcome.claim, { startEpoch: 1_800_000_000, endEpoch: null });
    expect(readSegments(p).map((s) => s.n)).toEqual([0, 1, 3]);
    const unrecorded = { ...race, entries: race.entries.map((e) => (e.jobId === "206" ? { ...e, jobId: null } : e)) };
    recordWin(
      root,
      unrecorded,
      outcome.claim,
      { startEpoch: 1_800_000_000, endEpoch: null },
      { jobId: "299", part: 2 },
    );
    expect(readSegments(p).map((s) => [s.n, s.jobId])).toEqual([
      [0, "204"],
      [1, "205"],
      [2, "299"],
      [3, "207"],
    ]);
  });

  test("a part that starts after the lease was released does not hold it, though its shape won", async () => {
    const { root, p, timing, entrant } = setUpShapes();
    expect((await claimRace(p, entrant(3, 0, "204"), timing())).won).toBe(true);
    const lease = readLease(root, "sweep");
    if (lease?.kind !== "slurm") throw new Error("no lease");
    writeLease(root, { ...lease, state: "released" });
    expect(await claimRace(p, entrant(3, 1, "205"), timing())).toEqual({ won: false, why: "the lease was released" });
  });

  test("a part submitted afresh (its racer refused, then accepted on a retry) belongs to the job on record", async () => {
    const { root, p, race, timing, entrant } = setUpShapes(shapeRace(2));
    const outcome = await claimRace(p, entrant(3, 0, "204"), timing());
    if (!outcome.won) throw new Error("lost");
    recordWin(root, race, outcome.claim, { startEpoch: 1_800_000_000, endEpoch: null });
    expect(partTakenBy(p, outcome.claim, { jobId: "299", part: 2 })).toBeNull();
    writeSegment(p, { ...(readSegments(p)[0] as Segment), n: 2, jobId: "250" });
    expect(partTakenBy(p, outcome.claim, { jobId: "299", part: 2 })).toBe("250");
    expect(partTakenBy(p, outcome.claim, { jobId: "250", part: 2 })).toBeNull();
    expect(partTakenBy(p, outcome.claim, { jobId: "204", part: 0 })).toBeNull();
  });

  test("losers are the other shapes' jobs, and jobs under the race's name that are not the winner's shape's", () => {
    const race = shapeRace();
    const claim = { ...CLAIM, rank: 3, strategyId: "rank 3", jobId: "205", part: 1 };
    expect(loserJobIds(race, claim, ["204", "208"]).sort()).toEqual(["201", "202", "203", "208"]);
    // a job submitted afresh for a part (its racer was refused) is on record as its segment: no loser
    expect(loserJobIds(race, claim, ["208"], ["208"]).sort()).toEqual(["201", "202", "203"]);
  });

  test("the race as people watch it, by rank: every live job of the winning shape is won, as a part", () => {
    const claim = { ...CLAIM, rank: 3, strategyId: "rank 3", jobId: "205", part: 1 };
    const jobs = [job("201", "cancelled"), job("204", "pending"), job("205", "running"), job("206", "pending")];
    const rows = raceRows(shapeRace(), claim, [...jobs, job("207", "cancelled")]);
    expect(rows.map((r) => [r.rank, r.part ?? null, r.state, r.reason])).toEqual([
      [1, null, "cancelled", "rank 3 won"],
      [2, 0, "lost", "rank 3 won"],
      [2, 1, "lost", "rank 3 won"],
      [3, 0, "won", "part 0 of 4"],
      [3, 1, "won", null],
      [3, 2, "won", "part 2 of 4"],
      [3, 3, "ended", "CANCELLED"],
    ]);
    expect(raceStanding(rows)).toMatchObject({ kind: "won" });
  });
});
