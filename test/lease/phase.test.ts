import { describe, expect, test } from "vitest";
import { PROTOCOL_VERSION, type Segment, type SlurmLease } from "../../src/fsqueue/index.ts";
import { describePhase, leasePhase, timeLeftSeconds } from "../../src/lease/index.ts";
import type { JobStateKind } from "../../src/slurm/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

const lease = (totalSeconds: number, state: "active" | "released" = "active"): SlurmLease =>
  makeSlurmLease({ state, request: { totalSeconds, segmentSeconds: 600 } });

const segments = (count: number): Segment[] =>
  Array.from({ length: count }, (_, n) => ({
    v: PROTOCOL_VERSION,
    lease: "sweep",
    n,
    jobId: String(100 + n),
    submittedAt: "2026-11-23T00:00:00.000Z",
    submittedBy: "test",
    after: n ? String(99 + n) : null,
    wallSeconds: 600,
  }));

const jobs = (...kinds: (JobStateKind | null)[]) =>
  kinds.map((kind) => ({ state: kind === null ? null : { kind, raw: kind.toUpperCase() } }));

describe("leasePhase", () => {
  test("queued until segment 0 starts; running while any segment runs; renewing while only a successor waits", () => {
    expect(leasePhase(lease(1800), segments(1), jobs("pending"), {})).toEqual({ kind: "queued", jobId: "100" });
    const running = leasePhase(lease(1800), segments(2), jobs("running", "pending"), {});
    expect(running).toEqual({ kind: "running", segment: 0, jobId: "100" });
    const overlap = leasePhase(lease(1800), segments(2), jobs("running", "running"), {});
    expect(overlap).toEqual({ kind: "running", segment: 1, jobId: "101" });
    const renewing = leasePhase(lease(1800), segments(2), jobs("completed", "pending"), {});
    expect(renewing).toEqual({ kind: "renewing", segment: 1, jobId: "101" });
  });

  test("time spent and the last segment ended as rv ends them: expired", () => {
    expect(leasePhase(lease(1200), segments(2), jobs("completed", "completed"), {})).toEqual({ kind: "expired" });
    expect(leasePhase(lease(1200), segments(2), jobs("completed", "timeout"), {})).toEqual({ kind: "expired" });
  });

  test("a lease waiting out its backoff says when it tries again; a paused one says why", () => {
    const at = Date.parse("2026-11-23T12:00:30Z") / 1000;
    expect(describePhase({ kind: "retrying", untilEpoch: at, failures: 2, why: "race 2: no winner" })).toMatch(
      /^retrying at \d\d:\d\d:\d\d \(failure 2 in a row: race 2: no winner\)$/,
    );
    expect(describePhase({ kind: "paused", why: "4 failures in a row" })).toBe("paused: 4 failures in a row");
  });

  test("time spent and the last segment cancelled or lost with its node: failed, saying which", () => {
    const cancelled = leasePhase(lease(1200), segments(2), jobs("completed", "cancelled"), {});
    expect(cancelled).toEqual({
      kind: "failed",
      why: "segment 1 (job 101) ended CANCELLED with the lease's time spent",
    });
    expect(describePhase(cancelled)).toBe("failed: segment 1 (job 101) ended CANCELLED with the lease's time spent");
    expect(leasePhase(lease(1200), segments(2), jobs("completed", "node_fail"), {})).toMatchObject({
      kind: "failed",
      why: /NODE_FAIL/,
    });
  });

  test("a replacement Slurm refused: failed, with Slurm's reason", () => {
    const refused = "Slurm refused segment 1 of lease sweep: Invalid account";
    expect(leasePhase(lease(3600), segments(1), jobs("cancelled"), { 0: refused })).toEqual({
      kind: "failed",
      why: `segment 0 (job 100) ended CANCELLED; ${refused}`,
    });
  });

  test("a released lease is released, whatever its jobs do while they drain", () => {
    expect(leasePhase(lease(1800, "released"), segments(1), jobs("running"), {})).toEqual({ kind: "released" });
  });
});

describe("timeLeftSeconds", () => {
  const at = (epoch: number) => ({ kind: "at" as const, epoch });
  test("the running segment's granted end, the queued one's cover, and what no segment has asked yet", () => {
    // 1800 s in segments of 600: segment 0 runs until 1_000 + 400, segment 1 queued after it, 600 s not asked
    const running = [
      { state: { kind: "running" as const, raw: "RUNNING" }, end: at(1_400) },
      { state: { kind: "pending" as const, raw: "PENDING" }, end: null },
    ];
    expect(timeLeftSeconds(lease(1800), segments(2), running, 1_000)).toBe(400 + 600 + 600);
  });

  test("nothing once released, or once no segment is alive", () => {
    const ended = [{ state: { kind: "completed" as const, raw: "COMPLETED" }, end: at(900) }];
    expect(timeLeftSeconds(lease(1800), segments(1), ended, 1_000)).toBe(0);
    const running = [{ state: { kind: "running" as const, raw: "RUNNING" }, end: at(1_400) }];
    expect(timeLeftSeconds(lease(1800, "released"), segments(1), running, 1_000)).toBe(0);
  });
});
