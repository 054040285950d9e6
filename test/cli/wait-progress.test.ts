import { describe, expect, test } from "vitest";
import { combineTallies, estimateRemainingMs, progressLine } from "../../src/cli/commands/wait-progress.ts";
import type { WaitTally } from "../../src/ops/wait-tally.ts";

function tally(change: Partial<Omit<WaitTally, "ran">> & { ok?: [number, number]; bad?: [number, number] }): WaitTally {
  const { ok = [0, 0], bad = [0, 0], ...counts } = change;
  return {
    total: 10,
    succeeded: 0,
    failed: 0,
    running: 0,
    ...counts,
    ran: { succeeded: { count: ok[0], totalMs: ok[1] }, failed: { count: bad[0], totalMs: bad[1] } },
  };
}

describe("estimateRemainingMs", () => {
  test("no estimate before the first task that ran has ended", () => {
    expect(estimateRemainingMs(tally({ running: 4 }), 4)).toBeNull();
    // Cancelled before they started: ended, but nothing to learn a duration from.
    expect(estimateRemainingMs(tally({ failed: 2, running: 4 }), 4)).toBeNull();
  });

  test("mean run time of the finished, times the tasks left, over the parallelism seen", () => {
    // 2 succeeded in 60 s each; 8 left, 4 at a time: two more rounds of a minute.
    expect(estimateRemainingMs(tally({ succeeded: 2, ok: [2, 120_000] }), 4)).toBe(120_000);
    expect(estimateRemainingMs(tally({ succeeded: 2, ok: [2, 120_000] }), 1)).toBe(480_000);
  });

  test("failures that end at once do not make it look nearly done: successes set the pace when there are any", () => {
    const mixed = tally({ succeeded: 1, failed: 3, ok: [1, 60_000], bad: [3, 300] });
    expect(estimateRemainingMs(mixed, 1)).toBe(6 * 60_000);
  });

  test("with failures alone, they are what there is to go on; failures count as done", () => {
    expect(estimateRemainingMs(tally({ failed: 5, bad: [5, 50_000] }), 1)).toBe(5 * 10_000);
  });

  test("never negative: 0 when nothing is left, even if the counts overshoot; a parallelism of 0 counts as 1", () => {
    expect(estimateRemainingMs(tally({ succeeded: 10, ok: [10, 1000] }), 2)).toBe(0);
    expect(estimateRemainingMs(tally({ succeeded: 9, failed: 3, ok: [9, 1000] }), 2)).toBe(0);
    expect(estimateRemainingMs(tally({ succeeded: 1, ok: [1, 1000] }), 0)).toBe(9000);
  });
});

describe("progressLine", () => {
  test("elapsed alone before the first tally", () => {
    expect(progressLine(null, 3000, 0)).toBe("waiting: 3s elapsed");
  });

  test("done of total, failures and running only when there are some, elapsed, then the ETA once known", () => {
    expect(progressLine(tally({ running: 2 }), 5000, 2)).toBe("waiting: 0/10 done, 2 running, 5s elapsed");
    const line = progressLine(tally({ succeeded: 3, failed: 1, running: 2, ok: [3, 90_000] }), 65_000, 2);
    expect(line).toBe("waiting: 4/10 done, 1 failed, 2 running, 1m05s elapsed, ETA ~1m30s");
  });
});

describe("combineTallies", () => {
  test("the places' tallies add up", () => {
    const here = tally({ total: 3, succeeded: 1, running: 1, ok: [1, 1000] });
    const there = tally({ total: 5, failed: 2, running: 3, bad: [2, 4000] });
    expect(combineTallies([here, there])).toEqual(
      tally({ total: 8, succeeded: 1, failed: 2, running: 4, ok: [1, 1000], bad: [2, 4000] }),
    );
  });
});
