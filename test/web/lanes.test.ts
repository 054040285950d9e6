import { describe, expect, test } from "vitest";
import { segmentLanes } from "../../src/web/page/lanes.ts";
import { makeSegmentView } from "../helpers/slurm-lease.ts";

// A Slurm lease's segments as the lease page draws them: what each bar of the timeline says.
const T0 = 1_800_000_000;
const iso = (epoch: number) => new Date(epoch * 1000).toISOString();

const segment = makeSegmentView;

const shape = (lanes: ReturnType<typeof segmentLanes>) =>
  lanes.map((lane) => [lane.label, lane.bars.map((b) => [b.kind, b.from - T0, b.to - T0])]);

describe("a lease's segments on a timeline", () => {
  test("queued, running, planned; an overlapping renewal; a segment still queued", () => {
    const lanes = segmentLanes(
      [
        segment(1, T0 + 500, { start: T0 + 580, state: "RUNNING" }),
        segment(0, T0, { start: T0 + 60, end: T0 + 600, state: "COMPLETED" }),
        segment(2, T0 + 650, { state: "PENDING" }),
      ],
      T0 + 700,
    );
    expect(shape(lanes)).toEqual([
      [
        "segment 0 · job 800 completed",
        [
          ["queued", 0, 60],
          ["running", 60, 600],
        ],
      ],
      [
        "segment 1 · job 801 running",
        [
          ["queued", 500, 580],
          ["running", 580, 700],
          ["planned", 700, 1180],
        ],
      ],
      ["segment 2 · job 802 pending", [["queued", 650, 700]]],
      ["renewals", [["overlap", 580, 600]]],
    ]);
    expect(lanes[3]?.bars[0]?.title).toBe("overlap of 20s with segment 1");
  });

  test("a successor held back until its --begin is planned from then, for its walltime", () => {
    const held = segment(1, T0 + 100, { state: "PENDING" });
    held.segment.beginAt = iso(T0 + 500);
    const lanes = segmentLanes([segment(0, T0, { start: T0, state: "RUNNING" }), held], T0 + 200);
    expect(shape(lanes)[1]).toEqual([
      "segment 1 · job 801 pending",
      [
        ["queued", 100, 200],
        ["planned", 500, 1100],
      ],
    ]);
  });

  test("a successor chained after the running segment is planned from that one's walltime end", () => {
    const chained = segment(1, T0 + 100, { state: "PENDING" });
    chained.segment.after = "800";
    const lanes = segmentLanes([segment(0, T0, { start: T0 + 10, state: "RUNNING" }), chained], T0 + 200);
    expect(shape(lanes)[1]?.[1]).toEqual([
      ["queued", 100, 200],
      ["planned", 610, 1210],
    ]);
  });

  test("a renewal that started after its predecessor ended is a gap", () => {
    const lanes = segmentLanes(
      [
        segment(0, T0, { start: T0, end: T0 + 600, state: "TIMEOUT" }),
        segment(1, T0 + 590, { start: T0 + 725, end: T0 + 900, state: "COMPLETED" }),
      ],
      T0 + 1000,
    );
    expect(lanes.at(-1)?.bars.map((b) => [b.kind, b.from - T0, b.to - T0, b.title])).toEqual([
      ["gap", 600, 725, "gap of 2m 5s before segment 1"],
    ]);
  });
});
