import { describe, expect, test } from "vitest";
import { PROTOCOL_VERSION, type Segment, type SlurmLease } from "../../src/fsqueue/index.ts";
import { planFirstSegment, planRenewal } from "../../src/lease/index.ts";

const lease = (totalSeconds: number, segmentSeconds: number, state: "active" | "released" = "active"): SlurmLease => ({
  v: PROTOCOL_VERSION,
  id: "sweep",
  kind: "slurm",
  createdAt: "2026-11-23T00:00:00.000Z",
  host: "login1",
  state,
  rv: "/scratch/me/.rv/bin/rv-0.1.0-abc",
  request: {
    partition: "gpu-a6000",
    gpusPerNode: 1,
    gpuType: null,
    nodes: 1,
    cpusPerNode: null,
    memPerNode: null,
    totalSeconds,
    segmentSeconds,
    account: null,
    renewal: "chain",
  },
});

const segment = (n: number, jobId: string, wallSeconds: number): Segment => ({
  v: PROTOCOL_VERSION,
  lease: "sweep",
  n,
  jobId,
  submittedAt: "2026-11-23T00:00:00.000Z",
  submittedBy: "test",
  after: null,
  wallSeconds,
});

describe("planning segments", () => {
  test("24 h in segments of 2:59:00: the first renews, and each asks the same until the time is spent", () => {
    const l = lease(24 * 3600, 10_740);
    expect(planFirstSegment(l)).toEqual({ n: 0, wallSeconds: 10_740, after: null, renew: true });
    const asked = Array.from({ length: 8 }, (_, n) => segment(n, String(100 + n), 10_740));
    // 8 x 2:59:00 = 23:52:00 asked; 8 minutes are left: one short last segment that does not renew
    expect(planRenewal(l, asked, "107")).toEqual({ kind: "renew", n: 8, wallSeconds: 480, after: "107", renew: false });
    expect(planRenewal(l, [...asked, segment(8, "108", 480)], "108")).toEqual({
      kind: "stop",
      why: "the lease's total time is spent",
    });
  });

  test("a lease no longer than one segment never renews", () => {
    expect(planFirstSegment(lease(3600, 10_740))).toEqual({ n: 0, wallSeconds: 3600, after: null, renew: false });
  });

  test("a released lease, an unknown job and a segment planned already all stop renewal", () => {
    const asked = [segment(0, "100", 600)];
    expect(planRenewal(lease(3600, 600, "released"), asked, "100")).toMatchObject({ kind: "stop", why: /released/ });
    expect(planRenewal(lease(3600, 600), asked, "999")).toMatchObject({ kind: "stop", why: /not a segment/ });
    const twice = [...asked, segment(1, "101", 600)];
    expect(planRenewal(lease(3600, 600), twice, "100")).toMatchObject({ kind: "stop", why: /segment 1 exists/ });
  });
});
