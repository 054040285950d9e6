import { describe, expect, test } from "vitest";
import { PROTOCOL_VERSION, type Segment, type SlurmRequest } from "../../src/fsqueue/index.ts";
import {
  fitSegmentToSite,
  planRenewal,
  planReplacement,
  type SegmentSite,
  segmentSbatchArgs,
} from "../../src/lease/index.ts";
import { parseDuration, parseScontrolPartitions, parseScontrolReservations } from "../../src/slurm/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";
import { live } from "../slurm/fixture.ts";

// The dev cluster as captured (test/slurm/fixtures/live): its partitions, and a MAINT reservation rv-fx-maint on
// rtx3090-01 from MAINT_START for 10 minutes, beside rv-fx-now, active on the same node when captured.
const partitions = parseScontrolPartitions(live("scontrol-show-partition").stdout).records;
const reservations = parseScontrolReservations(live("scontrol-show-reservation").stdout).records;
const partitionNamed = (name: string) => {
  const found = partitions.find((p) => p.name === name);
  if (!found) throw new Error(`no partition ${name} in the fixture`);
  return found;
};
const rtx = partitionNamed("interactive-rtx3090");
const maint = reservations.filter((r) => r.name === "rv-fx-maint");
const MAINT_START = 1796313187;
const MAINT_END = MAINT_START + 600;
const maintNote = {
  name: "rv-fx-maint",
  startEpoch: MAINT_START,
  endEpoch: MAINT_END,
  nodes: ["rtx3090-01"],
  maint: true,
};

const MIN = 60;
const HOUR = 3600;

const lease = (request: Partial<SlurmRequest> = {}) =>
  makeSlurmLease({
    request: { partition: "interactive-rtx3090", totalSeconds: 4 * HOUR, segmentSeconds: HOUR, ...request },
  });

const segment = (n: number, jobId: string, wallSeconds: number): Segment => ({
  v: PROTOCOL_VERSION,
  lease: "sweep",
  n,
  jobId,
  submittedAt: "2026-12-03T15:40:00.000Z",
  submittedBy: "test",
  after: null,
  wallSeconds,
});

/** Segment 0 (job 100, `wall`) renewing as it starts at `nowEpoch`: it ends `wall` later. */
function renew(l: ReturnType<typeof lease>, wall: number, nowEpoch: number, site: SegmentSite) {
  const segments = [segment(0, "100", wall)];
  const clock = { nowEpoch, endsAtEpoch: nowEpoch + wall };
  const plan = planRenewal(l, segments, "100", clock);
  if (plan.kind === "stop") throw new Error(plan.why);
  return fitSegmentToSite(plan, l, segments, site, clock);
}

describe("fitSegmentToSite: the next segment against MaxTime and the reservations", () => {
  test("chain: a reservation starting soon after this segment ends cuts the next one to end before it", () => {
    const now = MAINT_START - 40 * MIN;
    expect(renew(lease(), 20 * MIN, now, { partitions: [rtx], reservations: maint })).toEqual({
      kind: "renew",
      n: 1,
      wallSeconds: 19 * MIN,
      after: "100",
      beginAt: null,
      overlapSeconds: 0,
      renew: true,
      endsBefore: maintNote,
    });
  });

  test("chain: when this segment ends right before the reservation, the next begins once it is over", () => {
    const now = MAINT_START - 4 * MIN;
    const next = renew(lease(), 3 * MIN, now, { partitions: [rtx], reservations: maint });
    expect(next).toEqual({
      kind: "renew",
      n: 1,
      wallSeconds: HOUR,
      after: "100",
      beginAt: MAINT_END,
      overlapSeconds: 0,
      renew: true,
      beginsAfter: [maintNote],
    });
    expect(segmentSbatchArgs(next, now)).toEqual(["--dependency=afterany:100", `--begin=now+${MAINT_END - now}`]);
  });

  test("overlap: a shorter successor that would end with this segment is no use: it begins after the reservation", () => {
    const now = MAINT_START - 4 * MIN;
    const l = lease({ renewal: "overlap", overlapSeconds: 2 * MIN });
    expect(renew(l, 3 * MIN, now, { partitions: [rtx], reservations: maint })).toMatchObject({
      wallSeconds: HOUR,
      beginAt: MAINT_END,
      overlapSeconds: 0,
      beginsAfter: [maintNote],
    });
  });

  test("a replacement while a reservation holds the nodes begins when it ends", () => {
    const active = reservations.filter((r) => r.name === "rv-fx-now");
    const now = 1796312887 + 30;
    const l = lease();
    const segments = [{ ...segment(0, "100", HOUR), ended: { state: "CANCELLED", start: null, end: null, nodes: [] } }];
    const plan = planReplacement(l, segments, () => false);
    if (plan.kind !== "replace") throw new Error("no replacement planned");
    const fitted = fitSegmentToSite(
      plan,
      l,
      segments,
      { partitions: [rtx], reservations: active },
      {
        nowEpoch: now,
        endsAtEpoch: now,
      },
    );
    expect(fitted).toMatchObject({ n: 1, after: null, beginAt: 1796313007, wallSeconds: HOUR });
    expect(fitted.beginsAfter?.map((r) => r.name)).toEqual(["rv-fx-now"]);
  });

  test("MaxTime caps a segment; MaxTime=UNLIMITED leaves the lease's own, finite, segment length", () => {
    const long = lease({ segmentSeconds: 12 * HOUR, totalSeconds: 48 * HOUR });
    expect(renew(long, 8 * HOUR, MAINT_END, { partitions: [rtx], reservations: [] })).toMatchObject({
      wallSeconds: 8 * HOUR,
      renew: true,
    });
    const unlimited = { ...rtx, maxTime: parseDuration("UNLIMITED") };
    expect(renew(long, 8 * HOUR, MAINT_END, { partitions: [unlimited], reservations: [] })).toMatchObject({
      wallSeconds: 12 * HOUR,
    });
  });

  test("a lease spread over partitions: the shortest MaxTime of theirs, and a reservation on one partition's nodes is not in the way", () => {
    const spread = lease({
      partition: "gpu-a6000,interactive-rtx3090",
      segmentSeconds: 12 * HOUR,
      totalSeconds: 48 * HOUR,
    });
    const site = { partitions: [partitionNamed("gpu-a6000"), rtx], reservations: maint };
    expect(renew(spread, 8 * HOUR, MAINT_START - 9 * HOUR, site)).toMatchObject({
      wallSeconds: 8 * HOUR,
      beginAt: null,
    });
    expect(renew(spread, 8 * HOUR, MAINT_START - 9 * HOUR, site)).not.toHaveProperty("endsBefore");
    // rtx3090-01 alone, the same segment ends before the reservation
    const single = lease({ segmentSeconds: 12 * HOUR, totalSeconds: 48 * HOUR });
    expect(renew(single, 8 * HOUR, MAINT_START - 9 * HOUR, { partitions: [rtx], reservations: maint })).toMatchObject({
      wallSeconds: HOUR - MIN,
      endsBefore: maintNote,
    });
  });

  test("nothing in the way, or no partition to know the nodes by: the plan stands", () => {
    const l = lease();
    const clear = renew(l, 20 * MIN, MAINT_END, { partitions: [rtx], reservations });
    expect(clear).toEqual({
      kind: "renew",
      n: 1,
      wallSeconds: HOUR,
      after: "100",
      beginAt: null,
      overlapSeconds: 0,
      renew: true,
    });
    expect(renew(l, 3 * MIN, MAINT_START - 4 * MIN, { partitions: [], reservations })).toEqual({
      ...clear,
    });
  });
});
