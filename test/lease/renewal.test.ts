import { describe, expect, test } from "vitest";
import { PROTOCOL_VERSION, type Segment, type SlurmLease } from "../../src/fsqueue/index.ts";
import {
  adaptiveOverlapSeconds,
  coveredSeconds,
  defaultOverlapSeconds,
  extendLease,
  lastSegmentRenews,
  planExtension,
  planFirstSegment,
  planRenewal,
  planReplacement,
  queueWaits,
  segmentSbatchArgs,
  segmentToBeginNow,
} from "../../src/lease/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

const lease = (totalSeconds: number, segmentSeconds: number, state: "active" | "released" = "active"): SlurmLease =>
  makeSlurmLease({ state, request: { totalSeconds, segmentSeconds } });

/** Renewal runs when a segment starts: its end is a walltime away. Chain ignores it. */
const CLOCK = { nowEpoch: 1_800_000_000, endsAtEpoch: 1_800_000_600 };

const segment = (n: number, jobId: string, wallSeconds: number): Segment => ({
  v: PROTOCOL_VERSION,
  lease: "sweep",
  n,
  jobId,
  submittedAt: "2026-11-23T00:00:00.000Z",
  submittedBy: "test",
  after: null,
  wallSeconds,
});

describe("planning segments", () => {
  test("24 h in segments of 2:59:00: the first renews, and each asks the same until the time is spent", () => {
    const l = lease(24 * 3600, 10_740);
    expect(planFirstSegment(l)).toEqual({
      n: 0,
      wallSeconds: 10_740,
      after: null,
      beginAt: null,
      overlapSeconds: 0,
      renew: true,
    });
    const asked = Array.from({ length: 8 }, (_, n) => segment(n, String(100 + n), 10_740));
    // 8 x 2:59:00 = 23:52:00 asked; 8 minutes are left: one short last segment that does not renew
    expect(planRenewal(l, asked, "107", CLOCK)).toEqual({
      kind: "renew",
      n: 8,
      wallSeconds: 480,
      after: "107",
      beginAt: null,
      overlapSeconds: 0,
      renew: false,
    });
    expect(planRenewal(l, [...asked, segment(8, "108", 480)], "108", CLOCK)).toEqual({
      kind: "stop",
      why: "the lease's total time is spent",
    });
  });

  test("a lease no longer than one segment never renews", () => {
    expect(planFirstSegment(lease(3600, 10_740))).toMatchObject({ n: 0, wallSeconds: 3600, renew: false });
  });

  test("a released lease, an unknown job and a segment planned already all stop renewal", () => {
    const asked = [segment(0, "100", 600)];
    expect(planRenewal(lease(3600, 600, "released"), asked, "100", CLOCK)).toMatchObject({
      kind: "stop",
      why: /released/,
    });
    expect(planRenewal(lease(3600, 600), asked, "999", CLOCK)).toMatchObject({ kind: "stop", why: /not a segment/ });
    const twice = [...asked, segment(1, "101", 600)];
    expect(planRenewal(lease(3600, 600), twice, "100", CLOCK)).toMatchObject({ kind: "stop", why: /segment 1 exists/ });
  });
});

describe("planning an extension", () => {
  test("the longer total is the only change to the record", () => {
    const l = lease(120, 120);
    expect(extendLease(l, 7200)).toEqual({ ...l, request: { ...l.request, totalSeconds: 7320 } });
  });

  test("whether the last segment renews follows from the walltime asked so far, as its planner decided it", () => {
    const l = lease(3600, 600);
    expect(lastSegmentRenews(l, [segment(0, "100", 600)])).toBe(planFirstSegment(l).renew);
    const five = Array.from({ length: 5 }, (_, n) => segment(n, String(100 + n), 600));
    const sixth = planRenewal(l, five, "104", CLOCK);
    expect(sixth).toMatchObject({ kind: "renew", n: 5, renew: false });
    expect(lastSegmentRenews(l, [...five, segment(5, "105", 600)])).toBe(false);
    expect(lastSegmentRenews(l, five)).toBe(true);
  });

  test("--segment 2m --time 2m, extended by 2h while segment 0 waits or runs: segment 1 is chained after it", () => {
    const plan = planExtension(lease(120, 120), 7200, [segment(0, "100", 120)], false);
    expect(plan).toEqual({
      kind: "submit",
      segment: { n: 1, wallSeconds: 120, after: "100", beginAt: null, overlapSeconds: 0, renew: true },
    });
  });

  test("the chained segment asks for what is left when that is shorter than a segment, and then does not renew", () => {
    const plan = planExtension(lease(3600, 3600), 1800, [segment(0, "100", 3600)], false);
    expect(plan).toEqual({
      kind: "submit",
      segment: { n: 1, wallSeconds: 1800, after: "100", beginAt: null, overlapSeconds: 0, renew: false },
    });
  });

  test("a last segment that renews plans its successor from the new total by itself: nothing to submit", () => {
    const plan = planExtension(lease(3600, 600), 3600, [segment(0, "100", 600)], false);
    expect(plan).toMatchObject({ kind: "none", why: /segment 0 submits the next segment itself/ });
  });

  test("when the last segment's job has ended, the next segment starts the lease again, after nothing", () => {
    const spent = [segment(0, "100", 600), segment(1, "101", 600)];
    expect(planExtension(lease(1200, 600), 3600, spent, true)).toEqual({
      kind: "submit",
      segment: { n: 2, wallSeconds: 600, after: null, beginAt: null, overlapSeconds: 0, renew: true },
    });
    // it would have renewed, but its job ended without a successor (cancelled, failed): start again too
    expect(planExtension(lease(3600, 600), 600, [segment(0, "100", 600)], true)).toMatchObject({
      kind: "submit",
      segment: { n: 1, after: null },
    });
  });

  test("an extension too short for another segment only records the time, and says by how much to extend", () => {
    const plan = planExtension(lease(120, 120), 60, [segment(0, "100", 120)], false);
    expect(plan).toMatchObject({ kind: "none", why: /less than 2 minutes are left for another segment/ });
    // the next extension counts the minute already added
    const twice = planExtension(extendLease(lease(120, 120), 60), 60, [segment(0, "100", 120)], false);
    expect(twice).toMatchObject({ kind: "submit", segment: { n: 1, wallSeconds: 120 } });
  });

  test("a lease with no segment yet, and a released lease, get nothing submitted", () => {
    expect(planExtension(lease(120, 120), 600, [], false)).toMatchObject({ kind: "none", why: /no segment yet/ });
    const released = planExtension(lease(120, 120, "released"), 600, [segment(0, "100", 120)], false);
    expect(released).toMatchObject({ kind: "none", why: /released/ });
  });
});

describe("replacing a lease whose segments all died early", () => {
  const asked = [segment(0, "100", 600), segment(1, "101", 600)];

  test("with time left and no job alive, the next segment is submitted without a dependency", () => {
    expect(planReplacement(lease(3600, 600), asked, () => false)).toEqual({
      kind: "replace",
      n: 2,
      wallSeconds: 600,
      after: null,
      beginAt: null,
      overlapSeconds: 0,
      renew: true,
    });
  });

  test("nothing while a segment is queued or running, once the time is spent, or for a released lease", () => {
    expect(planReplacement(lease(3600, 600), asked, (job) => job === "101")).toMatchObject({ kind: "stop" });
    expect(planReplacement(lease(1200, 600), asked, () => false)).toMatchObject({ kind: "stop", why: /spent/ });
    expect(planReplacement(lease(3600, 600, "released"), asked, () => false)).toMatchObject({ kind: "stop" });
  });
});

describe("the overlap policy", () => {
  const overlapping = (totalSeconds: number, segmentSeconds: number, overlapSeconds?: number): SlurmLease => {
    const l = lease(totalSeconds, segmentSeconds);
    return { ...l, request: { ...l.request, renewal: "overlap", ...(overlapSeconds && { overlapSeconds }) } };
  };
  const overlapped = (n: number, jobId: string, wallSeconds: number, overlapSeconds: number): Segment => ({
    ...segment(n, jobId, wallSeconds),
    overlapSeconds,
  });

  test("the next segment may begin the overlap before this one's granted end, with no dependency", () => {
    const clock = { nowEpoch: 1_000, endsAtEpoch: 1_000 + 10_740 };
    expect(planRenewal(overlapping(24 * 3600, 10_740, 600), [segment(0, "100", 10_740)], "100", clock)).toEqual({
      kind: "renew",
      n: 1,
      wallSeconds: 10_740,
      after: null,
      beginAt: 1_000 + 10_740 - 600,
      overlapSeconds: 600,
      renew: true,
    });
  });

  test("without a chosen overlap: a quarter of the segment, between 1 and 10 minutes", () => {
    expect(defaultOverlapSeconds(120)).toBe(60);
    expect(defaultOverlapSeconds(1200)).toBe(300);
    expect(defaultOverlapSeconds(10_740)).toBe(600);
    const plan = planRenewal(overlapping(3600, 1200), [segment(0, "100", 1200)], "100", {
      nowEpoch: 0,
      endsAtEpoch: 1200,
    });
    expect(plan).toMatchObject({ kind: "renew", beginAt: 900, overlapSeconds: 300 });
  });

  test("a segment granted less time than the overlap (--time-min, a late renewal) is overlapped from now", () => {
    const plan = planRenewal(overlapping(3600, 1200, 300), [segment(0, "100", 1200)], "100", {
      nowEpoch: 5_000,
      endsAtEpoch: 5_100,
    });
    expect(plan).toMatchObject({ kind: "renew", beginAt: 5_000, overlapSeconds: 100 });
  });

  test("time held twice is not counted twice: the lease gets segments until what they cover reaches its total", () => {
    const l = overlapping(1800, 600, 120);
    const clock = (end: number) => ({ nowEpoch: end - 600, endsAtEpoch: end });
    const s0 = segment(0, "100", 600);
    // covered: 600, then 480 per overlapped segment: 600 + 480 + 480 = 1560, then 240 are left
    expect(planRenewal(l, [s0], "100", clock(600))).toMatchObject({ wallSeconds: 600, renew: true });
    const s1 = overlapped(1, "101", 600, 120);
    expect(planRenewal(l, [s0, s1], "101", clock(1080))).toMatchObject({ wallSeconds: 600, renew: true });
    const s2 = overlapped(2, "102", 600, 120);
    expect(coveredSeconds([s0, s1, s2])).toBe(1560);
    // the last covers the 240 left: a walltime of 240 + the overlap, and no renewal after it
    expect(planRenewal(l, [s0, s1, s2], "102", clock(1560))).toMatchObject({ wallSeconds: 360, renew: false });
    expect(lastSegmentRenews(l, [s0, s1, s2, overlapped(3, "103", 360, 120)])).toBe(false);
  });

  test("an extension and a replacement chain or start at once, whatever the policy", () => {
    const l = overlapping(600, 600);
    expect(planExtension(l, 1200, [segment(0, "100", 600)], false)).toMatchObject({
      kind: "submit",
      segment: { after: "100", beginAt: null, overlapSeconds: 0 },
    });
    expect(planReplacement(overlapping(3600, 600), [segment(0, "100", 600)], () => false)).toMatchObject({
      kind: "replace",
      beginAt: null,
      overlapSeconds: 0,
    });
  });
});

describe("the overlap fitted to the lease's own queue waits", () => {
  const T = 1_800_000_000;
  const iso = (epoch: number) => new Date(epoch * 1000).toISOString();
  const overlapLease = (segmentSeconds: number, overlapSeconds: number): SlurmLease => {
    const l = lease(24 * 3600, segmentSeconds);
    return { ...l, request: { ...l.request, renewal: "overlap", overlapSeconds } };
  };
  /** Segment 0 as a race writes it: submitted when the race started. */
  const first = { ...segment(0, "100", 600), submittedAt: iso(T) };

  test("a first segment that waited 135 s queues the next one 184 s ahead of its end, not its 2 m overlap", () => {
    const clock = { nowEpoch: T + 135, endsAtEpoch: T + 135 + 600 };
    expect(planRenewal(overlapLease(600, 120), [first], "100", clock)).toMatchObject({
      kind: "renew",
      beginAt: clock.endsAtEpoch - 184,
      overlapSeconds: 184,
    });
  });

  test("waits shorter than the overlap leave it as chosen; the longest is capped at three quarters of a segment", () => {
    expect(adaptiveOverlapSeconds(overlapLease(600, 120).request, [10, 60])).toBe(120);
    expect(adaptiveOverlapSeconds(overlapLease(600, 120).request, [])).toBe(120);
    expect(adaptiveOverlapSeconds(overlapLease(600, 120).request, [2000])).toBe(450);
    // Only the three newest waits count: the queue of yesterday says little.
    expect(adaptiveOverlapSeconds(overlapLease(3600, 60).request, [2000, 40, 40, 40])).toBe(65);
  });

  test("a wait counts from the begin time (overlap), the predecessor's end (chain) or the submission", () => {
    const ended = (start: number, end: number) => ({ state: "COMPLETED", start: iso(start), end: iso(end), nodes: [] });
    const s0 = { ...first, ended: ended(T + 30, T + 630) };
    const s1 = { ...segment(1, "101", 600), after: "100", ended: ended(T + 640, T + 1240) };
    const s2 = {
      ...segment(2, "102", 600),
      overlapSeconds: 120,
      beginAt: iso(T + 1120),
      ended: ended(T + 1200, T + 1800),
    };
    // Recorded before begin times were: its planned delay is not a wait, so it is left out.
    const s3 = { ...segment(3, "103", 600), overlapSeconds: 120, ended: ended(T + 1700, T + 2300) };
    const s4 = { ...segment(4, "104", 600), submittedAt: iso(T + 2300) };
    expect(queueWaits([s0, s1, s2, s3, s4], { jobId: "104", startEpoch: T + 2350 })).toEqual([30, 10, 80, 50]);
  });
});

describe("segmentSbatchArgs", () => {
  const plan = { n: 1, wallSeconds: 600, after: null, beginAt: null, overlapSeconds: 0, renew: true };
  test("chain: a dependency on the segment before; overlap: a begin time relative to now, so no time zone enters", () => {
    expect(segmentSbatchArgs({ ...plan, after: "100" }, 1_000)).toEqual(["--dependency=afterany:100"]);
    expect(segmentSbatchArgs({ ...plan, beginAt: 1_450, overlapSeconds: 150 }, 1_000)).toEqual(["--begin=now+450"]);
  });

  test("a begin time already past, and a first segment, ask for nothing", () => {
    expect(segmentSbatchArgs({ ...plan, beginAt: 900 }, 1_000)).toEqual([]);
    expect(segmentSbatchArgs({ ...plan, n: 0 }, 1_000)).toEqual([]);
  });
});

describe("segmentToBeginNow", () => {
  const job = (
    jobId: string,
    kind: "pending" | "running" | "completed" | "cancelled",
    reason: string | null = null,
  ) => ({
    jobId,
    state: { kind, raw: kind.toUpperCase() },
    reason,
  });

  test("the successor waiting for its begin time, once nothing of the lease runs", () => {
    expect(segmentToBeginNow([job("100", "cancelled"), job("101", "pending", "BeginTime")])).toBe("101");
    expect(segmentToBeginNow([{ jobId: "100", state: null, reason: null }, job("101", "pending", "BeginTime")])).toBe(
      "101",
    );
  });

  test("nothing while a segment runs, or when the successor waits for something else (priority, resources)", () => {
    expect(segmentToBeginNow([job("100", "running"), job("101", "pending", "BeginTime")])).toBeNull();
    expect(segmentToBeginNow([job("100", "completed"), job("101", "pending", "Priority")])).toBeNull();
    expect(segmentToBeginNow([job("100", "completed")])).toBeNull();
  });
});
