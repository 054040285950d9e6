import { describe, expect, test } from "vitest";
import { leaseKind } from "../../src/cli/commands/lease/up.ts";
import { requestFromFlags } from "../../src/cli/commands/lease/up-slurm.ts";
import type { ClusterConfig } from "../../src/config/index.ts";
import { RvError } from "../../src/errors.ts";

const cluster: ClusterConfig = { name: "dev", host: "rv-dev", user: "me", root: "/scratch/me/.rv" };

describe("rv lease up on the cluster: --idle-release", () => {
  test("is stored in whole seconds, and as null without the flag", () => {
    expect(requestFromFlags({ partition: "gpu", idleRelease: "30m" }, cluster, null).policy.idleReleaseSeconds).toBe(
      1800,
    );
    expect(requestFromFlags({ partition: "gpu", idleRelease: "20" }, cluster, null).policy.idleReleaseSeconds).toBe(20);
    expect(requestFromFlags({ partition: "gpu" }, cluster, null).policy.idleReleaseSeconds).toBeNull();
  });

  test.each(["0", "500ms", "soon"])("%s is a usage error naming the flag", (text) => {
    let error: unknown;
    try {
      requestFromFlags({ partition: "gpu", idleRelease: text }, cluster, null);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(RvError);
    expect((error as RvError).code).toBe("usage");
    expect((error as RvError).message).toContain("--idle-release");
  });
});

describe("rv lease up on the cluster: --renewal and --overlap", () => {
  const policy = (options: { renewal?: string; overlap?: string; segment?: string }) => {
    const { renewal, overlapSeconds } = requestFromFlags({ segment: "1h", ...options }, cluster, null).policy;
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

describe("rv lease up on the cluster: what the allocator is asked", () => {
  const ask = (options: Parameters<typeof requestFromFlags>[0], segmentSeconds: number | null = null) =>
    requestFromFlags(
      options,
      { ...cluster, account: "lab" },
      segmentSeconds ? profileWithSegment(segmentSeconds) : null,
    ).ask;

  test("one GPU of any type for one segment of 2:59:00 by default, charged to the configured account", () => {
    expect(ask({})).toEqual({
      gpus: 1,
      types: [],
      minVramGb: null,
      cpus: null,
      memMiB: null,
      totalSeconds: 10740,
      segmentSeconds: 10740,
      nodes: null,
      partition: null,
      account: "lab",
    });
  });

  test("totals, types, VRAM, memory in MiB; the profile's segment when --segment is not given", () => {
    const a = ask({ gpu: "4", type: "a6000,a100_80", vram: "40", cpus: "16", mem: "64G", time: "24h" }, 3600);
    expect(a).toMatchObject({ gpus: 4, types: ["a6000", "a100_80"], minVramGb: 40, cpus: 16, memMiB: 65536 });
    expect(a).toMatchObject({ totalSeconds: 86400, segmentSeconds: 3600 });
    expect(ask({ mem: "64000" }).memMiB).toBe(64000);
  });

  test.each([
    [{ gpu: "3", nodes: "2" }, /--gpu 3 does not split evenly over --nodes 2/],
    [{ type: "a6000;rm" }, /--type/],
    [{ mem: "lots" }, /--mem/],
    [{ vram: "0" }, /--vram/],
  ])("%j is a usage error", (options, message) => {
    expect(() => ask(options)).toThrow(message);
  });
});

function profileWithSegment(segmentSeconds: number) {
  return { name: "t", segmentSeconds, maxGpusPerUser: null, gpus: [], balance: null };
}

describe("rv lease up on the cluster: --parts", () => {
  const usage = (options: Record<string, string>): RvError => {
    try {
      requestFromFlags({ partition: "gpu", ...options }, cluster, null);
    } catch (e) {
      return e as RvError;
    }
    throw new Error("no error");
  };

  test("--gpu 4 --parts 2: the lease asks for 4 GPUs in all and holds them as 2 parts; no flag, no parts field", () => {
    const { ask, policy } = requestFromFlags({ partition: "gpu", gpu: "4", parts: "2" }, cluster, null);
    expect([ask.gpus, policy.parts]).toEqual([4, 2]);
    expect(requestFromFlags({ partition: "gpu", gpu: "4" }, cluster, null).policy).not.toHaveProperty("parts");
    expect(requestFromFlags({ partition: "gpu", gpu: "4", parts: "1" }, cluster, null).policy).not.toHaveProperty(
      "parts",
    );
  });

  test("GPUs (and nodes) that do not split evenly into the parts are a usage error with a hint", () => {
    const odd = usage({ gpu: "3", parts: "2" });
    expect([odd.code, odd.message]).toEqual(["usage", "--gpu 3 does not split evenly into --parts 2"]);
    expect(odd.hint).toContain("--gpu 4 --parts 2");
    const none = usage({ gpu: "0", parts: "2" });
    expect([none.code, none.message]).toEqual([
      "usage",
      "--parts needs GPUs: a lease of parts shares out --gpu, and this one asks for none",
    ]);
    expect(usage({ gpu: "4", nodes: "1", parts: "2" }).message).toBe("--nodes 1 does not split evenly into --parts 2");
    expect(usage({ gpu: "4", parts: "0" }).message).toContain("--parts");
  });

  test("--parts is a cluster flag: refused for a lease on this machine, never ignored", () => {
    expect(() => leaseKind({ local: true, parts: "2" }, true)).toThrow(
      "--parts: only for a lease on a cluster, not with --local or --gpu-ids",
    );
  });
});
