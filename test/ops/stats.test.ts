import { describe, expect, it } from "vitest";
import type { RvEvent } from "../../src/fsqueue/index.ts";
import { attemptStats } from "../../src/ops/stats.ts";
import { task } from "../cli/tui/fixtures.ts";

const usage = (cpuSeconds: number) => ({ cpuSeconds, peakRssBytes: 1e6, samples: 2 });
const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second)).toISOString();
const event = (type: RvEvent["type"], attempt: number, second: number, more: Partial<RvEvent> = {}): RvEvent => ({
  v: 1,
  time: at(second),
  runner: "node1-1-aaaaaa",
  type,
  task: "t1",
  attempt,
  ...more,
});

describe("attemptStats: every attempt of a task, from its events", () => {
  it("an attempt rv sent back keeps its own figures; the latest takes the done record's", () => {
    const view = task({ id: "t1", state: "succeeded", attempt: 2, startedAt: at(20), endedAt: at(50) });
    const events = [
      event("started", 1, 0),
      event("requeued", 1, 10, { detail: "attempt 1 exit code 1: retry 1 of 1; next attempt 2", usage: usage(3) }),
      event("started", 2, 20),
      event("finished", 2, 50, { detail: "succeeded", usage: usage(9) }),
    ];
    expect(attemptStats(view, events, usage(10), 0)).toMatchObject([
      { attempt: 1, state: "requeued", elapsedMs: 10_000, usage: usage(3), outcome: expect.stringContaining("retry") },
      { attempt: 2, state: "succeeded", elapsedMs: 30_000, usage: usage(10) },
    ]);
  });

  it("an earlier attempt that finished (then rv requeue) says how; one whose runner died is lost, unmeasured", () => {
    const view = task({ id: "t1", state: "pending", attempt: 3 });
    const events = [
      event("started", 1, 0),
      event("finished", 1, 5, { detail: "failed: exit code 3", usage: usage(1) }),
      event("started", 2, 8),
    ];
    expect(attemptStats(view, events, undefined, 0)).toMatchObject([
      { attempt: 1, state: "failed", elapsedMs: 5000 },
      { attempt: 2, state: "lost", elapsedMs: null, usage: null },
      { attempt: 3, state: "pending", startedAt: null, elapsedMs: null, usage: null },
    ]);
  });

  it("a running attempt counts its time up to now, with the figures its heartbeat carries", () => {
    const view = task({ id: "t1", state: "running", attempt: 1, startedAt: at(0) });
    const now = Date.parse(at(42));
    expect(attemptStats(view, [event("started", 1, 0)], usage(7), now)).toEqual([
      {
        attempt: 1,
        state: "running",
        outcome: null,
        startedAt: at(0),
        endedAt: null,
        elapsedMs: 42_000,
        usage: usage(7),
      },
    ]);
  });
});
