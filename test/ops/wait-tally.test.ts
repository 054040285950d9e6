import { describe, expect, test } from "vitest";
import { type TalliedView, tallyOf } from "../../src/ops/wait-tally.ts";

const at = (second: number) => new Date(Date.UTC(2026, 11, 3, 12, 0, second)).toISOString();
const ran = (state: TalliedView["state"], seconds: number): TalliedView => ({
  state,
  startedAt: at(0),
  endedAt: at(seconds),
});

describe("tallyOf: where a wait stands", () => {
  test("counts ended tasks by outcome, running ones, and sums the run time of each outcome apart", () => {
    const tally = tallyOf([
      ran("succeeded", 10),
      ran("succeeded", 20),
      ran("failed", 1),
      { state: "running", startedAt: at(0), endedAt: null },
      { state: "pending", startedAt: null, endedAt: null },
    ]);
    expect(tally).toEqual({
      total: 5,
      succeeded: 2,
      failed: 1,
      running: 1,
      ran: { succeeded: { count: 2, totalMs: 30_000 }, failed: { count: 1, totalMs: 1000 } },
    });
  });

  test("every end but success is a failure; one that never started adds no run time; a task gone has ended", () => {
    const tally = tallyOf([
      { state: "cancelled", startedAt: null, endedAt: at(5) },
      { state: "dep_failed", startedAt: null, endedAt: at(5) },
      undefined,
    ]);
    expect(tally.failed).toBe(3);
    expect(tally.ran.failed).toEqual({ count: 0, totalMs: 0 });
  });

  test("queued, blocked and lost tasks are neither done nor running", () => {
    const waiting = ["pending", "blocked", "lost"].map((state) => ({ state, startedAt: null, endedAt: null }));
    expect(tallyOf(waiting as TalliedView[])).toMatchObject({ total: 3, succeeded: 0, failed: 0, running: 0 });
  });
});
