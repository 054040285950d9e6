import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { leasePaths, PROTOCOL_VERSION, type Segment } from "../../src/fsqueue/index.ts";
import {
  afterActing,
  describePhase,
  type LeasePhase,
  lookAtSlurmLease,
  mergedRetry,
  NO_FAILURES,
  partRetryAtEpoch,
  type Recovered,
  type Retry,
  retryPhase,
  type SegmentView,
  segmentJobIdsOf,
  withPartRecovered,
  writeLease,
  writeSegment,
} from "../../src/lease/index.ts";
import type { Remote } from "../../src/remote/index.ts";
import type { JobStatus } from "../../src/slurm/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

const T0 = new Date("2026-12-03T12:00:00.000Z");
const epoch = (d: Date) => Math.floor(d.getTime() / 1000);
const lease = makeSlurmLease({ request: { gpusPerNode: 1, parts: 2, totalSeconds: 7200, segmentSeconds: 3600 } });

const segment = (n: number): Segment => ({
  v: PROTOCOL_VERSION,
  lease: lease.id,
  n,
  jobId: String(100 + n),
  submittedAt: new Date(T0.getTime() - 600_000).toISOString(),
  submittedBy: "test",
  after: null,
  wallSeconds: 3600,
});
const view = (n: number): SegmentView => ({ segment: segment(n), job: { jobId: String(100 + n) } as JobStatus });

// Slurm knows none of the lease's jobs: every part has died with time left, a supervisor would replace each.
const slurmKnowsNothing: Remote = {
  where: "scripted",
  run: async (commands) => commands.map(() => ({ exitCode: 0, stdout: "", stderr: "" })),
};

describe("a look at a lease of parts", () => {
  const roots: string[] = [];
  afterEach(() => {
    for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
  });

  test("leaves retry.json as it was, though a supervisor would count each part's death", async () => {
    const root = mkdtempSync(join(tmpdir(), "rv-look-"));
    roots.push(root);
    writeLease(root, lease);
    const p = leasePaths(root, lease.id);
    for (const n of [0, 1]) writeSegment(p, segment(n));
    const earlier: Retry = { v: 1, failures: [{ key: "x", at: T0.toISOString(), what: "x", part: 1 }], paused: null };
    writeFileSync(p.retryFile, JSON.stringify(earlier));
    const env = { root, remote: slurmKnowsNothing, host: "h", user: "me", now: () => T0 };
    const look = await lookAtSlurmLease(env, lease.id, { alloc: false });
    expect(look.due?.acts).toContain("submit segment 2 to replace the segments that ended");
    expect(readFileSync(p.retryFile, "utf8")).toBe(JSON.stringify(earlier));
  });
});

describe("recovering a lease of parts part by part", () => {
  const refusal = { key: "refused segment 3", what: "QOSMaxSubmitJobPerUserLimit" };

  test("a refused replacement is counted as its part's failure and leaves that part a wake-up", () => {
    const retry = afterActing(NO_FAILURES, refusal, 1, T0);
    expect(retry.failures).toEqual([{ ...refusal, part: 1, at: T0.toISOString() }]);
    // The first failure's backoff is 0 s: the second, refused again, waits 30 s.
    const again = afterActing(retry, { ...refusal, key: "refused segment 3 again" }, 1, T0);
    expect(partRetryAtEpoch(again, T0, 1)).toBe(epoch(T0) + 30);
    expect(partRetryAtEpoch(again, T0, 0)).toBeNull();
    expect(partRetryAtEpoch(again, T0, undefined)).toBeNull();
  });

  test("a part's views replace its old ones in segment order; refusals and the earliest wake-up are kept", () => {
    const so: Recovered = {
      rows: null,
      views: [view(0), view(1)],
      refused: { 0: "part 0 refused" },
      retry: NO_FAILURES,
      partRetryAt: 500,
    };
    const done: Recovered = {
      rows: null,
      views: [view(1), view(3)],
      refused: { 1: "part 1 refused" },
      retry: NO_FAILURES,
      partRetryAt: 400,
    };
    const merged = withPartRecovered(so, [so.views[1] as SegmentView], done);
    expect(merged.views.map((v) => v.segment.n)).toEqual([0, 1, 3]);
    expect(merged.refused).toEqual({ 0: "part 0 refused", 1: "part 1 refused" });
    expect(merged.partRetryAt).toBe(400);
  });
});

describe("the phase of a lease of parts with a part that failed", () => {
  const running: LeasePhase = { kind: "running", segment: 0, jobId: "100", parts: { running: 1, of: 2 } };
  const failure = (part: number, at: Date, key = `segment ${part}`) => ({ key, at: at.toISOString(), what: key, part });

  test("runs on, paused, while a part with nothing alive is paused; not while every part is alive", () => {
    const paused: Retry = { ...NO_FAILURES, paused: { at: T0.toISOString(), why: "4 failures in a row" } };
    const phase = retryPhase(running, paused, epoch(T0), { of: 2, idle: true });
    expect(describePhase(phase)).toBe(
      "running (1 of 2 parts running; segment 0, job 100); paused: 4 failures in a row",
    );
    expect(retryPhase(running, paused, epoch(T0), { of: 2, idle: false })).toEqual(running);
  });

  test("with every part down, retrying shows the part whose backoff ends first", () => {
    const later = new Date(T0.getTime() + 60_000);
    // Part 0: two failures, waits 30 s from T0; part 1: two failures, waits 30 s from a minute later.
    const retry: Retry = {
      ...NO_FAILURES,
      failures: [failure(0, T0), failure(0, T0, "refused 0"), failure(1, later), failure(1, later, "refused 1")],
    };
    const failed: LeasePhase = { kind: "failed", why: "both parts ended" };
    const phase = retryPhase(failed, retry, epoch(T0) + 10, { of: 2, idle: true });
    expect(phase).toMatchObject({ kind: "retrying", untilEpoch: epoch(T0) + 30, why: "refused 0" });
  });
});

describe("a failed rv lease up --parts leaves no job behind", () => {
  test("every job named as a segment of the lease is found, whatever its number, with those on record", () => {
    const jobs = [
      { jobId: "10", name: "rv-sweep-0" },
      { jobId: "11", name: "rv-sweep-1" },
      { jobId: "14", name: "rv-sweep-4" },
      { jobId: "20", name: "rv-sweep-1-0" },
      { jobId: "21", name: "rv-sweep-watch" },
      { jobId: "22", name: "rv-sweeps-0" },
      { jobId: "23", name: null },
    ];
    expect(segmentJobIdsOf("sweep", jobs, ["10", "12"])).toEqual(["10", "12", "11", "14"]);
  });
});

describe("two supervisors of one lease write retry.json at once", () => {
  const failure = (key: string, part: number) => ({ key, what: key, part, at: T0.toISOString() });
  const record = (...failures: ReturnType<typeof failure>[]): Retry => ({ ...NO_FAILURES, failures });

  test("each one's failures are kept: this pass's are merged into what the other wrote", () => {
    const merged = mergedRetry(record(failure("segment 0", 0)), NO_FAILURES, record(failure("segment 1", 1)));
    expect(merged.failures.map((f) => f.key)).toEqual(["segment 0", "segment 1"]);
  });

  test("failures this pass cleared (its part holds again) are removed; the other's stay", () => {
    const before = record(failure("segment 0", 0));
    const merged = mergedRetry(record(failure("segment 0", 0), failure("segment 1", 1)), before, NO_FAILURES);
    expect(merged.failures.map((f) => f.key)).toEqual(["segment 1"]);
  });

  test("the merged row pauses the lease when it is long enough, though neither pass saw it so", () => {
    const theirs = record(failure("segment 1", 1), failure("segment 3", 1), failure("segment 5", 1));
    const mine = record(failure("segment 1", 1), failure("refused segment 7", 1));
    const merged = mergedRetry(theirs, record(failure("segment 1", 1)), mine);
    expect(merged.failures).toHaveLength(4);
    expect(merged.paused?.why).toBe("4 failures in a row, the last: refused segment 7");
  });
});
