import { describe, expect, test } from "vitest";
import { decide } from "../../src/allocator/decide.ts";
import { fitAroundReservations, MIN_SEGMENT_SECONDS } from "../../src/allocator/reservations.ts";
import type { Decision } from "../../src/allocator/schema.ts";
import { generateStrategies } from "../../src/allocator/strategies.ts";
import { parseScontrolReservations } from "../../src/slurm/index.ts";
import { live } from "../slurm/fixture.ts";
import { ask, devCluster, HOUR, MIN, NOW, node, partition, reservation, running } from "./fixtures.ts";

/** A segment of `wall` on `count` of `nodes`, from NOW, around `reservations`. */
function fitted(wall: number, reservations: ReturnType<typeof reservation>[], nodes = ["rtx3090-01"], count = 1) {
  return fitAroundReservations({
    fromEpoch: NOW,
    wallSeconds: wall,
    minSeconds: MIN_SEGMENT_SECONDS,
    nodes,
    count,
    reservations,
  });
}

const note = (name: string, startIn: number, lasts: number, nodes = ["rtx3090-01"]) => ({
  name,
  startEpoch: NOW + startIn,
  endEpoch: NOW + startIn + lasts,
  nodes,
  maint: true,
});

describe("fitAroundReservations: a segment's walltime and start around the reservations on its nodes", () => {
  test("a reservation after the segment's end (and its margin) changes nothing", () => {
    expect(fitted(20 * MIN, [reservation("maint", ["rtx3090-01"], 2 * HOUR, 10 * MIN)])).toEqual({
      startEpoch: NOW,
      wallSeconds: 20 * MIN,
      endsBefore: null,
      waitsFor: [],
    });
  });

  test("a reservation ahead: a shorter segment, in whole minutes, that ends a minute before it starts", () => {
    expect(fitted(20 * MIN, [reservation("maint", ["rtx3090-01"], 5 * MIN + 30, 10 * MIN)])).toEqual({
      startEpoch: NOW,
      wallSeconds: 4 * MIN,
      endsBefore: note("maint", 5 * MIN + 30, 10 * MIN),
      waitsFor: [],
    });
  });

  test("a reservation holding the nodes now: the segment waits for its end, whole", () => {
    expect(fitted(20 * MIN, [reservation("maint", ["rtx3090-01"], -5 * MIN, 15 * MIN)])).toEqual({
      startEpoch: NOW + 10 * MIN,
      wallSeconds: 20 * MIN,
      endsBefore: null,
      waitsFor: [note("maint", -5 * MIN, 15 * MIN)],
    });
  });

  test("a reservation too soon for the shortest useful segment is waited out like one holding the nodes now", () => {
    const soon = reservation("maint", ["rtx3090-01"], 2 * MIN, 10 * MIN);
    expect(fitted(20 * MIN, [soon])).toMatchObject({
      startEpoch: NOW + 12 * MIN,
      wallSeconds: 20 * MIN,
      endsBefore: null,
    });
  });

  test("after one reservation another may cut the segment short", () => {
    const first = reservation("first", ["rtx3090-01"], -MIN, 10 * MIN);
    const second = reservation("second", ["rtx3090-01"], 19 * MIN, HOUR);
    expect(fitted(HOUR, [first, second])).toEqual({
      startEpoch: NOW + 9 * MIN,
      wallSeconds: 9 * MIN,
      endsBefore: note("second", 19 * MIN, HOUR),
      waitsFor: [note("first", -MIN, 10 * MIN)],
    });
  });

  test("a reservation on some nodes leaves the segment whole when enough others are clear", () => {
    const one = reservation("maint", ["a6000-01"], 5 * MIN, 10 * MIN);
    expect(fitted(HOUR, [one], ["a6000-01", "a6000-02"], 1)).toMatchObject({ wallSeconds: HOUR, endsBefore: null });
    expect(fitted(HOUR, [one], ["a6000-01", "a6000-02"], 2)).toMatchObject({
      wallSeconds: 4 * MIN,
      endsBefore: note("maint", 5 * MIN, 10 * MIN, ["a6000-01"]),
    });
  });

  test("no start when a reservation with no end holds the nodes, or the job needs more nodes than there are", () => {
    const forever = { ...reservation("forever", ["rtx3090-01"], -MIN, HOUR), end: { kind: "unknown" as const } };
    expect(fitted(HOUR, [forever])).toBeNull();
    expect(fitted(HOUR, [], ["rtx3090-01"], 2)).toBeNull();
  });

  test("the live capture: the MAINT reservation ahead on rtx3090-01 cuts a segment that would reach into it", () => {
    const { records } = parseScontrolReservations(live("scontrol-show-reservation").stdout);
    const maint = records.find((r) => r.name === "rv-fx-maint");
    const from = maint?.start.kind === "at" ? maint.start.epoch - 5 * MIN : 0;
    const cut = fitAroundReservations({
      fromEpoch: from,
      wallSeconds: 20 * MIN,
      minSeconds: MIN_SEGMENT_SECONDS,
      nodes: ["rtx3090-01"],
      count: 1,
      reservations: records.filter((r) => r.name !== "rv-fx-now"),
    });
    expect(cut).toMatchObject({
      startEpoch: from,
      wallSeconds: 4 * MIN,
      endsBefore: { name: "rv-fx-maint", maint: true },
    });
  });
});

describe("strategies: walltimes that respect the site", () => {
  const rtx = (state = devCluster(), segmentSeconds = 20 * MIN) =>
    generateStrategies(ask({ types: ["rtx3090"], segmentSeconds }), state, null).strategies;

  test("MaxTime caps the segment; UNLIMITED caps nothing, so --time stays the lease's own finite segment", () => {
    expect(rtx(devCluster(), 12 * HOUR).map((s) => s.wallSeconds)).toEqual([8 * HOUR, 8 * HOUR]);
    const unlimited = {
      ...devCluster(),
      partitions: [partition("interactive-rtx3090", ["rtx3090-01"], "UNLIMITED")],
    };
    expect(rtx(unlimited, 12 * HOUR).map((s) => s.wallSeconds)).toEqual([12 * HOUR, 12 * HOUR]);
    expect(generateStrategies(ask({ types: ["rtx3090"] }), unlimited, null).strategies[0]?.wallSeconds).toBe(
      2 * HOUR + 59 * MIN,
    );
  });

  test("a reservation ahead on the pool's nodes adds the shape with a walltime that ends before it", () => {
    const state = devCluster([], [], [reservation("maint", ["rtx3090-01"], 5 * MIN + 30, 10 * MIN)]);
    expect(rtx(state).map((s) => [s.id, s.wallSeconds, s.endsBefore?.name ?? null])).toEqual([
      ["rtx3090:1x1:20m", 20 * MIN, null],
      ["rtx3090:1x1:4m", 4 * MIN, "maint"],
    ]);
    expect(rtx(state)[1]?.endsBefore).toEqual({ ...note("maint", 5 * MIN + 30, 10 * MIN), segmentSeconds: 20 * MIN });
  });

  test("a reservation holding the nodes now, or too soon, adds no shorter shape", () => {
    expect(rtx(devCluster([], [], [reservation("maint", ["rtx3090-01"], -MIN, 10 * MIN)])).map((s) => s.id)).toEqual([
      "rtx3090:1x1:20m",
    ]);
    expect(rtx(devCluster([], [], [reservation("maint", ["rtx3090-01"], 2 * MIN, 10 * MIN)])).map((s) => s.id)).toEqual(
      ["rtx3090:1x1:20m"],
    );
  });
});

describe("decide: the reservation is in the estimate and the explanation", () => {
  /** The decision's candidates in the pools asked for (the others are dropped as not asked). */
  const asked = (decision: Decision) => decision.candidates.filter((c) => !c.why.includes("not among the types"));
  const decideRtx = (reservations: ReturnType<typeof reservation>[]) =>
    asked(
      decide(ask({ types: ["rtx3090"], segmentSeconds: 20 * MIN }), devCluster([], [], reservations), null, new Map()),
    );

  test("a reservation ahead: the shorter walltime starts now and ranks first; the whole one waits it out", () => {
    const candidates = decideRtx([reservation("rv-maint", ["rtx3090-01"], 5 * MIN + 30, 10 * MIN)]);
    expect(candidates.map((c) => [c.strategy.id, c.rank, c.estimate?.startEpoch])).toEqual([
      ["rtx3090:1x1:4m", 1, NOW],
      ["rtx3090:1x1:20m", 2, NOW + 15 * MIN + 30],
    ]);
    expect(candidates[0]?.why).toContain(
      "1 rtx3090 free now on rtx3090-01, ending before maintenance reservation rv-maint starts in 5m30s",
    );
    expect(candidates[1]?.why).toContain("in 15m30s, when maintenance reservation rv-maint ends, on rtx3090-01");
  });

  test("a reservation holding the nodes now: the only shape waits for its end, and says so", () => {
    const candidates = decideRtx([reservation("rv-maint", ["rtx3090-01"], -MIN, 10 * MIN)]);
    expect(candidates.map((c) => [c.strategy.id, c.rank, c.estimate?.startEpoch])).toEqual([
      ["rtx3090:1x1:20m", 1, NOW + 9 * MIN],
    ]);
    expect(candidates[0]?.why).toMatch(/^in 9m, when maintenance reservation rv-maint ends, on rtx3090-01/);
  });

  test("a reservation on some of the partition's nodes: the whole walltime runs on the others", () => {
    const candidates = asked(
      decide(
        ask({ types: ["a6000"], segmentSeconds: 20 * MIN }),
        devCluster([], [], [reservation("rv-maint", ["a6000-01"], 5 * MIN + 30, 10 * MIN)]),
        null,
        new Map(),
      ),
    );
    expect(candidates.map((c) => [c.strategy.id, c.rank, c.estimate?.detail])).toEqual([
      ["a6000:1x1:20m", 1, "1 a6000 free now on a6000-02"],
    ]);
  });

  test("the shorter walltime is dropped when it could start no sooner than the whole one", () => {
    const busy = running("9", ["rtx3090-01"], 30 * MIN, { partition: "interactive-rtx3090", gres: "gpu:rtx3090:2" });
    const full = node("rtx3090-01", { gpuType: "rtx3090", gpus: 2, usedGpus: 2, cpus: 16, cpuAlloc: 1 });
    const reservations = [reservation("rv-maint", ["rtx3090-01"], 5 * MIN + 30, 10 * MIN)];
    const candidates = asked(
      decide(
        ask({ types: ["rtx3090"], segmentSeconds: 20 * MIN }),
        devCluster([busy], [full], reservations),
        null,
        new Map(),
      ),
    );
    expect(candidates.map((c) => [c.strategy.id, c.rank, c.estimate?.startEpoch, c.why])).toEqual([
      ["rtx3090:1x1:20m", 1, NOW + 30 * MIN, expect.stringMatching(/^in 30m, when job 9 ends/)],
      [
        "rtx3090:1x1:4m",
        null,
        NOW + 30 * MIN,
        "rtx3090:1x1:20m starts as soon with its whole walltime: ending before maintenance reservation rv-maint buys nothing here",
      ],
    ]);
  });
});
