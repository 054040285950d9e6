import { describe, expect, test } from "vitest";
import type { RaceRow } from "../../src/allocator/index.ts";
import { describeWait, type WaitView } from "../../src/cli/commands/lease/wait-view.ts";

const row = (rank: number, state: RaceRow["state"], jobId: string): RaceRow => ({
  rank,
  strategyId: `a6000:${rank}`,
  jobId,
  state,
  startEpoch: null,
  reason: null,
});

function view(change: Partial<WaitView>): WaitView {
  return { segments: [], race: null, phase: { kind: "racing", waiting: 1, of: 1 }, ...change } as WaitView;
}

describe("describeWait", () => {
  const now = new Date("2026-11-23T12:00:00Z");

  test("a race whose winner has not written segment 0 yet is won, not over", () => {
    const race = [row(1, "won", "2132"), row(2, "cancelled", "2133")];
    const phase = { kind: "running", segment: 0, jobId: "2132" } as const;
    expect(describeWait(view({ race, phase }), now)).toBe("a6000:1 (job 2132) won the race: recording it as segment 0");
  });

  test("a lease waiting out its backoff, or paused, says so rather than listing a race that is over", () => {
    const race = [row(1, "ended", "2132")];
    const paused = { kind: "paused", why: "4 failures in a row, the last: race 4: no winner" } as const;
    expect(describeWait(view({ race, phase: paused }), now)).toBe(
      "paused: 4 failures in a row, the last: race 4: no winner",
    );
  });
});
