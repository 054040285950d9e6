import { describe, expect, test } from "vitest";
import { PROTOCOL_VERSION, type Segment } from "../../src/fsqueue/index.ts";
import { leaseReservations } from "../../src/lease/index.ts";
import { parseScontrolPartitions, parseScontrolReservations, parseSqueue } from "../../src/slurm/index.ts";
import { live, UTC } from "../slurm/fixture.ts";

// As captured on the dev cluster: rv-fx-maint (MAINT, rtx3090-01, ahead), rv-fx-now (active on rtx3090-01),
// rv-fx-later (a100-[01-02], a year ahead); a job held pending by rv-fx-maint.
const partitions = parseScontrolPartitions(live("scontrol-show-partition").stdout).records;
const reservations = parseScontrolReservations(live("scontrol-show-reservation").stdout).records;
const [held] = parseSqueue(live("squeue-reason-reserved").stdout, UTC).records;
const MAINT_START = 1796313187;
const NOW = MAINT_START - 5 * 60;

const segment = (n: number, change: Partial<Segment> = {}): Segment => ({
  v: PROTOCOL_VERSION,
  lease: "sweep",
  n,
  jobId: String(100 + n),
  submittedAt: "2026-12-03T15:48:00.000Z",
  submittedBy: "test",
  after: null,
  wallSeconds: 180,
  ...change,
});

const maintNote = {
  name: "rv-fx-maint",
  startEpoch: MAINT_START,
  endEpoch: MAINT_START + 600,
  nodes: ["rtx3090-01"],
  maint: true,
};

describe("leaseReservations: the reservations in a lease's way, and what they did to it", () => {
  const inPartitions = (names: string[]) => partitions.filter((p) => names.includes(p.name));

  test("the segments rv shaped around a reservation, and the jobs Slurm holds for it, under its name", () => {
    const segments = [segment(0, { endsBefore: maintNote }), segment(1, { after: "100", beginsAfter: [maintNote] })];
    const shown = leaseReservations({
      nowEpoch: NOW,
      partitions: inPartitions(["interactive-rtx3090"]),
      reservations,
      segments,
      waiting: [{ jobId: held?.jobId ?? "", partition: "interactive-rtx3090", reason: held?.reason ?? null }],
    });
    expect(shown.map((r) => [r.name, r.partitions, r.endsBefore, r.beginsAfter, r.holds])).toEqual([
      ["rv-fx-maint", ["interactive-rtx3090"], [0], [1], ["5703"]],
      ["rv-fx-now", ["interactive-rtx3090"], [], [], ["5703"]],
    ]);
    expect(shown[0]).toMatchObject(maintNote);
  });

  test("reservations on other partitions' nodes, and jobs waiting for another reason, are not the lease's", () => {
    const shown = leaseReservations({
      nowEpoch: NOW,
      partitions: inPartitions(["gpu-a6000"]),
      reservations,
      segments: [segment(0)],
      waiting: [{ jobId: "7", partition: "gpu-a6000", reason: "Resources" }],
    });
    expect(shown).toEqual([]);
    const a100 = leaseReservations({
      nowEpoch: NOW,
      partitions: inPartitions(["gpu-a100-80"]),
      reservations,
      segments: [],
      waiting: [{ jobId: "7", partition: "gpu-a100-80", reason: "Priority" }],
    });
    expect(a100.map((r) => [r.name, r.nodes, r.holds])).toEqual([["rv-fx-later", ["a100-01", "a100-02"], []]]);
  });

  test("a lease spread over partitions: a job waiting in all of them (`a,b`) is held by a reservation on one", () => {
    const shown = leaseReservations({
      nowEpoch: NOW,
      partitions: inPartitions(["gpu-a6000", "interactive-rtx3090"]),
      reservations,
      segments: [],
      waiting: [
        { jobId: "9", partition: "gpu-a6000,interactive-rtx3090", reason: "ReqNodeNotAvail, Reserved for maintenance" },
      ],
    });
    expect(shown.map((r) => [r.name, r.partitions, r.holds])).toEqual([
      ["rv-fx-maint", ["interactive-rtx3090"], ["9"]],
      ["rv-fx-now", ["interactive-rtx3090"], ["9"]],
    ]);
  });
});
