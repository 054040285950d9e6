import { describe, expect, test } from "vitest";
import { requestFromFlags } from "../../src/cli/commands/lease/up-slurm.ts";
import type { ClusterConfig } from "../../src/config/index.ts";
import { RvError } from "../../src/errors.ts";

const cluster: ClusterConfig = { name: "dev", host: "rv-dev", user: "me", root: "/scratch/me/.rv" };

describe("rv lease up --partition: --idle-release", () => {
  test("is stored in whole seconds, and as null without the flag", () => {
    expect(requestFromFlags({ partition: "gpu", idleRelease: "30m" }, cluster).idleReleaseSeconds).toBe(1800);
    expect(requestFromFlags({ partition: "gpu", idleRelease: "20" }, cluster).idleReleaseSeconds).toBe(20);
    expect(requestFromFlags({ partition: "gpu" }, cluster).idleReleaseSeconds).toBeNull();
  });

  test.each(["0", "500ms", "soon"])("%s is a usage error naming the flag", (text) => {
    let error: unknown;
    try {
      requestFromFlags({ partition: "gpu", idleRelease: text }, cluster);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvError);
    expect((error as RvError).code).toBe("usage");
    expect((error as RvError).message).toContain("--idle-release");
  });
});

describe("rv lease up --partition: --renewal and --overlap", () => {
  const policy = (options: { renewal?: string; overlap?: string; segment?: string }) => {
    const { renewal, overlapSeconds } = requestFromFlags({ partition: "gpu", segment: "1h", ...options }, cluster);
    return { renewal, overlapSeconds };
  };

  test("chain by default; overlap with the default lead, or the one given (which implies overlap)", () => {
    expect(policy({})).toEqual({ renewal: "chain", overlapSeconds: undefined });
    expect(policy({ renewal: "overlap" })).toEqual({ renewal: "overlap", overlapSeconds: undefined });
    expect(policy({ overlap: "5m" })).toEqual({ renewal: "overlap", overlapSeconds: 300 });
    expect(policy({ renewal: "overlap", overlap: "30m" })).toEqual({ renewal: "overlap", overlapSeconds: 1800 });
  });

  test.each([
    [{ renewal: "chain", overlap: "5m" }, /applies to --renewal overlap/],
    [{ overlap: "31m" }, /between 1m and half a segment \(30m/],
    [{ overlap: "30s" }, /between 1m/],
    [{ overlap: "later" }, /--overlap/],
  ])("%j is a usage error: %s", (options, message) => {
    let error: unknown;
    try {
      policy(options);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvError);
    expect((error as RvError).code).toBe("usage");
    expect((error as RvError).message).toMatch(message);
  });
});
