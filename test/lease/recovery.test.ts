import { describe, expect, test } from "vitest";
import { PROTOCOL_VERSION, type Segment } from "../../src/fsqueue/index.ts";
import {
  NO_FAILURES,
  PAUSE_AFTER_FAILURES,
  planRecovery,
  type RecoveryFacts,
  type Retry,
  retryStep,
  withFailure,
} from "../../src/lease/index.ts";
import type { JobStateKind } from "../../src/slurm/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

const T0 = new Date("2026-11-23T12:00:00.000Z");
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);
const later = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

const segment = (n: number, jobId: string): Segment => ({
  v: PROTOCOL_VERSION,
  lease: "sweep",
  n,
  jobId,
  submittedAt: "2026-11-23T11:00:00.000Z",
  submittedBy: "test",
  after: null,
  wallSeconds: 3600,
});

function facts(change: Partial<RecoveryFacts> & { states?: Record<string, JobStateKind> }): RecoveryFacts {
  const { states = {}, ...rest } = change;
  return {
    lease: makeSlurmLease({ request: { totalSeconds: 8 * 3600, segmentSeconds: 3600 } }),
    segments: [],
    stateOf: (jobId) => states[jobId] ?? null,
    holding: false,
    race: null,
    retry: NO_FAILURES,
    now: T0,
    ...rest,
  };
}

const raceOver = { attempt: 1, over: "every strategy's job ended before one claimed the lease (a100: CANCELLED)" };

describe("planRecovery", () => {
  test("a race that ended with no winner runs again at once, as the next attempt, and the failure is counted", () => {
    const plan = planRecovery(facts({ race: raceOver }));
    expect(plan).toMatchObject({ kind: "race", attempt: 2 });
    expect(plan.retry.failures).toEqual([
      { key: "race 1", at: T0.toISOString(), what: expect.stringContaining("race 1: every strategy's job ended") },
    ]);
  });

  test("a race still running, or a lease released, needs nothing", () => {
    expect(planRecovery(facts({ race: { attempt: 1, over: null } })).kind).toBe("none");
    const released = makeSlurmLease({ state: "released" });
    expect(planRecovery(facts({ lease: released, race: raceOver })).kind).toBe("none");
  });

  test("a segment that died with time left is replaced in the winner's shape, as the next segment", () => {
    const plan = planRecovery(facts({ segments: [segment(0, "100")], states: { "100": "node_fail" } }));
    expect(plan).toMatchObject({ kind: "replace", n: 1, wallSeconds: 3600 });
    expect(plan.retry.failures[0]).toMatchObject({
      key: "segment 0",
      what: "segment 0 (job 100) ended NODE_FAIL with time left",
    });
  });

  test("a failure seen by several looks counts once", () => {
    const first = planRecovery(facts({ race: raceOver }));
    const again = planRecovery(facts({ race: raceOver, retry: first.retry, now: later(5) }));
    expect(again.retry.failures).toHaveLength(1);
  });

  test("the second failure in a row waits 30 s, the third 2 min, and the fourth pauses the lease", () => {
    let retry: Retry = NO_FAILURES;
    const steps: string[] = [];
    for (const [attempt, at] of [
      [1, 0],
      [2, 10],
      [3, 60],
      [4, 300],
    ] as const) {
      const plan = planRecovery(facts({ race: { ...raceOver, attempt }, retry, now: later(at) }));
      steps.push(plan.kind);
      retry = plan.retry;
    }
    expect(steps).toEqual(["race", "wait", "wait", "paused"]);
    expect(retry.failures).toHaveLength(PAUSE_AFTER_FAILURES);
    expect(retry.paused?.why).toMatch(/^4 failures in a row, the last: race 4: /);
    expect(retryStep(retry, epoch(later(10_000)))).toMatchObject({ kind: "paused" });
  });

  test("once the backoff is over, the look that comes acts", () => {
    const twice = withFailure(
      withFailure(NO_FAILURES, { key: "race 1", what: "a" }, T0),
      { key: "race 2", what: "b" },
      T0,
    );
    expect(retryStep(twice, epoch(later(29)))).toEqual({
      kind: "wait",
      untilEpoch: epoch(later(30)),
      failures: 2,
      why: "b",
    });
    const plan = planRecovery(facts({ race: { ...raceOver, attempt: 2 }, retry: twice, now: later(30) }));
    expect(plan).toMatchObject({ kind: "race", attempt: 3 });
  });

  test("a job that holds its GPUs ends the failures in a row, and lifts a pause", () => {
    const paused = withFailure(NO_FAILURES, { key: "x", what: "y" }, T0);
    expect(planRecovery(facts({ holding: true, retry: { ...paused, paused: { at: "t", why: "w" } } })).retry).toBe(
      NO_FAILURES,
    );
  });

  test("a paused lease is left alone whatever the look sees", () => {
    const paused: Retry = { ...NO_FAILURES, paused: { at: T0.toISOString(), why: "4 failures in a row" } };
    const plan = planRecovery(facts({ segments: [segment(0, "100")], states: { "100": "cancelled" }, retry: paused }));
    expect(plan).toEqual({ kind: "paused", retry: paused });
  });
});

describe("a part of a race of shapes with no segment", () => {
  const parts = makeSlurmLease({ request: { totalSeconds: 8 * 3600, segmentSeconds: 3600, parts: 4 } });

  test("whose racer was refused or ended: its first segment is submitted, and the failure is the part's", () => {
    const plan = planRecovery(facts({ lease: parts, part: 2, partUnheld: true }));
    expect(plan).toMatchObject({ kind: "replace", n: 2, after: null, wallSeconds: 3600, renew: true });
    expect(plan.retry.failures).toMatchObject([{ key: "part 2 unheld", part: 2 }]);
  });

  test("whose racer is alive, or of a lease asked with --parts N: nothing to do", () => {
    expect(planRecovery(facts({ lease: parts, part: 2, partUnheld: false })).kind).toBe("none");
    expect(planRecovery(facts({ lease: parts, part: 2 })).kind).toBe("none");
  });
});
