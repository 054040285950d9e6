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
