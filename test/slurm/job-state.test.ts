import { describe, expect, test } from "vitest";
import { cancelledBy, isFinished, type JobStateKind, parseJobId, parseJobState } from "../../src/slurm/index.ts";

describe("parseJobState", () => {
  test.each<[string, JobStateKind]>([
    ["PENDING", "pending"],
    ["PD", "pending"],
    ["RUNNING", "running"],
    ["R", "running"],
    ["COMPLETING", "completing"],
    ["CG", "completing"],
    ["COMPLETED", "completed"],
    ["CD", "completed"],
    ["CANCELLED", "cancelled"],
    ["CANCELLED by 0", "cancelled"],
    ["CANCELLED+", "cancelled"],
    ["CA", "cancelled"],
    ["FAILED", "failed"],
    ["F", "failed"],
    ["TIMEOUT", "timeout"],
    ["TO", "timeout"],
    ["NODE_FAIL", "node_fail"],
    ["NF", "node_fail"],
    ["PREEMPTED", "preempted"],
    ["OUT_OF_MEMORY", "out_of_memory"],
    ["OOM", "out_of_memory"],
    ["BOOT_FAIL", "boot_fail"],
    ["DEADLINE", "deadline"],
    ["REQUEUED", "requeued"],
    ["REQUEUE_HOLD", "requeue_hold"],
    ["SUSPENDED", "suspended"],
    ["CONFIGURING", "configuring"],
    ["running", "running"],
    ["SOMETHING_NEW", "other"],
    ["", "other"],
  ])("%s -> %s", (text, kind) => {
    expect(parseJobState(text)).toEqual({ kind, raw: text });
  });

  test.each([
    ["CANCELLED by 0", "0"],
    ["CANCELLED by 1001", "1001"],
    ["CANCELLED", null],
    ["COMPLETED", null],
  ])("cancelledBy(%s) = %s", (text, uid) => {
    expect(cancelledBy(text)).toBe(uid);
  });

  test.each<[JobStateKind, boolean]>([
    ["completed", true],
    ["cancelled", true],
    ["failed", true],
    ["timeout", true],
    ["node_fail", true],
    ["out_of_memory", true],
    ["pending", false],
    ["running", false],
    ["completing", false],
    ["requeued", false],
    ["other", false],
  ])("isFinished(%s) = %s", (kind, finished) => {
    expect(isFinished(kind)).toBe(finished);
  });
});

describe("parseJobId", () => {
  test.each([
    ["123", { jobId: "123", baseJobId: "123", arrayTask: null }],
    ["123_4", { jobId: "123_4", baseJobId: "123", arrayTask: "4" }],
    ["123_[5-9]", { jobId: "123_[5-9]", baseJobId: "123", arrayTask: "[5-9]" }],
    ["123_[5-9%2]", { jobId: "123_[5-9%2]", baseJobId: "123", arrayTask: "[5-9%2]" }],
    ["123+0", { jobId: "123+0", baseJobId: "123", arrayTask: null }],
    ["123.batch", { jobId: "123.batch", baseJobId: "123", arrayTask: null }],
    [" 64 ", { jobId: "64", baseJobId: "64", arrayTask: null }],
    ["JOBID", null],
    ["", null],
    ["12a", null],
  ])("%s", (text, id) => {
    expect(parseJobId(text)).toEqual(id);
  });
});
