import { describe, expect, test } from "vitest";
import type { SlurmLease } from "../../src/fsqueue/index.ts";
import type { LeasePhase, SegmentView } from "../../src/lease/index.ts";
import { leaseEndOf } from "../../src/ops/lease-notices.ts";
import { type JobStateKind, unknownJobStatus } from "../../src/slurm/index.ts";

const lease = { id: "big" } as SlurmLease;

function segment(kind: JobStateKind | null): SegmentView {
  const job = unknownJobStatus("601");
  return {
    segment: { v: 1, lease: "big", n: 0, jobId: "601", submittedAt: "", submittedBy: "", after: null, wallSeconds: 60 },
    job: { ...job, state: kind === null ? null : { kind, raw: kind.toUpperCase() } },
  };
}

const look = (phase: LeasePhase, segments: SegmentView[] = [], timeLeftSeconds = 0) => ({
  lease,
  phase,
  segments,
  timeLeftSeconds,
});

describe("a Slurm lease's end, as its supervisor sees it", () => {
  test("expired, paused (a failure that needs a person), failed with no time left: told as lease-ended", () => {
    expect(leaseEndOf(look({ kind: "expired" }))).toEqual({
      kind: "lease-ended",
      lease: "big",
      ended: "expired",
      why: "its time is spent",
    });
    expect(leaseEndOf(look({ kind: "paused", why: "4 failures in a row" }))).toMatchObject({
      ended: "failed",
      why: "4 failures in a row; paused until rv lease resume",
    });
    expect(leaseEndOf(look({ kind: "failed", why: "segment 3 ended NODE_FAIL" }))).toMatchObject({ ended: "failed" });
  });

  test("still living or healing: running, retrying, a failure with time left (the supervisor replaces it)", () => {
    expect(leaseEndOf(look({ kind: "running", segment: 0, jobId: "601" }))).toBeNull();
    expect(leaseEndOf(look({ kind: "retrying", untilEpoch: 0, failures: 1, why: "x" }))).toBeNull();
    expect(leaseEndOf(look({ kind: "failed", why: "x" }, [], 3600))).toBeNull();
  });

  test("released: told only once nothing of it runs (its runners tell it as they leave)", () => {
    expect(leaseEndOf(look({ kind: "released" }, [segment("running")]))).toBeNull();
    expect(leaseEndOf(look({ kind: "released" }, [segment("completed")]))).toMatchObject({ ended: "released" });
    expect(leaseEndOf(look({ kind: "released" }, [segment(null)]))).toMatchObject({ ended: "released" });
  });
});
