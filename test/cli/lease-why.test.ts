import { describe, expect, test } from "vitest";
import { explainPendingReason } from "../../src/cli/commands/lease/pending-reason.ts";
import type { WaitView } from "../../src/cli/commands/lease/wait-view.ts";
import { waitingJobs } from "../../src/cli/commands/lease/why.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

describe("explainPendingReason", () => {
  test.each([
    ["Resources", /^Resources: it is next in line/],
    ["Priority", /^Priority: jobs of higher priority/],
    ["ReqNodeNotAvail, UnavailableNodes:a6000-01", /^ReqNodeNotAvail, UnavailableNodes:a6000-01: a node it could use/],
    ["QOSMaxGRESPerUser", /^QOSMaxGRESPerUser: a limit of your account or QOS/],
    ["AssocGrpGRES", /^AssocGrpGRES: a limit/],
    [null, /^not looked at by the scheduler yet/],
    ["SomethingNew", /^SomethingNew$/],
  ])("%s", (reason, expected) => {
    expect(explainPendingReason(reason)).toMatch(expected);
  });
});

describe("waitingJobs", () => {
  const view = (over: Partial<WaitView>): WaitView =>
    ({
      lease: makeSlurmLease(),
      segments: [],
      phase: { kind: "racing", waiting: 2, of: 3 },
      timeLeftSeconds: 3600,
      summary: {} as WaitView["summary"],
      race: null,
      alloc: null,
      ...over,
    }) as WaitView;

  test("before a claim: each pending racer with Slurm's reason and planned start; not the refused or started", () => {
    const race = [
      { rank: 1, strategyId: "a6000:1x4", jobId: "11", state: "pending", startEpoch: 100, reason: "Resources" },
      { rank: 2, strategyId: "a100_80:1x4", jobId: "12", state: "starting", startEpoch: null, reason: null },
      { rank: 3, strategyId: "a6000:2x2", jobId: null, state: "refused", startEpoch: null, reason: "limit" },
    ] as const;
    expect(waitingJobs(view({ race: [...race] }))).toEqual([
      {
        jobId: "11",
        what: "strategy a6000:1x4",
        reason: "Resources",
        startEpoch: 100,
        explanation: expect.stringMatching(/^Resources: it is next in line/),
      },
    ]);
  });

  test("a renewing lease: the queued segment and why it waits", () => {
    const segments = [
      { segment: { n: 0, jobId: "20" }, job: { state: { kind: "running" }, reason: null, start: null } },
      {
        segment: { n: 1, jobId: "21" },
        job: { state: { kind: "pending" }, reason: "Dependency", start: { kind: "at", epoch: 500 } },
      },
    ] as unknown as WaitView["segments"];
    expect(waitingJobs(view({ segments }))).toMatchObject([
      { jobId: "21", what: "segment 1", reason: "Dependency", startEpoch: 500 },
    ]);
  });
});
