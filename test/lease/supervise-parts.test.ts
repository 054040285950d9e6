import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { leasePaths, PROTOCOL_VERSION, type Segment } from "../../src/fsqueue/index.ts";
import {
  afterActing,
  lookAtSlurmLease,
  NO_FAILURES,
  partRetryAtEpoch,
  type Recovered,
  type Retry,
  type SegmentView,
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
      refused: "part 0 refused",
      retry: NO_FAILURES,
      partRetryAt: 500,
    };
    const done: Recovered = {
      rows: null,
      views: [view(1), view(3)],
      refused: null,
      retry: NO_FAILURES,
      partRetryAt: 400,
    };
    const merged = withPartRecovered(so, [so.views[1] as SegmentView], done);
    expect(merged.views.map((v) => v.segment.n)).toEqual([0, 1, 3]);
    expect(merged.refused).toBe("part 0 refused");
    expect(merged.partRetryAt).toBe(400);
  });
});
