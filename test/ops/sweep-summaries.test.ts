import { describe, expect, test } from "vitest";
import { sweepSummaries } from "../../src/ops/index.ts";

type Task = Parameters<typeof sweepSummaries>[0][number];

const task = (sweep: string | null, lease: string, state: Task["state"], submittedAt: string): Task => ({
  lease,
  state,
  submittedAt,
  sweep: sweep === null ? null : { id: sweep, point: {} },
});

describe("sweepSummaries (rv sweep ls, and the sweep rv sweep show picks alone)", () => {
  test("groups the points of each sweep, counts them by state, and leaves tasks of no sweep out", () => {
    const summaries = sweepSummaries([
      task("a", "here", "succeeded", "2026-12-05T10:00:00.000Z"),
      task("a", "here", "failed", "2026-12-05T10:00:01.000Z"),
      task(null, "here", "running", "2026-12-05T10:00:02.000Z"),
      task("a", "gpu4", "running", "2026-12-05T09:00:00.000Z"),
    ]);
    expect(summaries).toEqual([
      {
        id: "a",
        leases: ["gpu4", "here"],
        points: 3,
        counts: { succeeded: 1, failed: 1, running: 1 },
        firstSubmittedAt: "2026-12-05T09:00:00.000Z",
        lastSubmittedAt: "2026-12-05T10:00:01.000Z",
      },
    ]);
  });

  test("the sweep submitted to last comes first, even when it was started first (a sweep submitted again)", () => {
    const summaries = sweepSummaries([
      task("old", "here", "succeeded", "2026-12-05T08:00:00.000Z"),
      task("new", "here", "pending", "2026-12-05T09:00:00.000Z"),
      task("old", "here", "pending", "2026-12-05T10:00:00.000Z"),
    ]);
    expect(summaries.map((s) => s.id)).toEqual(["old", "new"]);
  });

  test("no task of any sweep: no summaries", () => {
    expect(sweepSummaries([task(null, "here", "succeeded", "2026-12-05T08:00:00.000Z")])).toEqual([]);
  });
});
