import { describe, expect, test } from "vitest";
import { classifySbatchError, parseSbatchSubmit, parseTestOnly, type TestOnly } from "../../src/slurm/index.ts";
import { at, fixture, live, UTC } from "./fixture.ts";

describe("parseSbatchSubmit", () => {
  test.each([
    ["sbatch-submit.hand-parsable.txt", { jobId: "64", cluster: null }],
    ["sbatch-submit.hand-parsable-cluster.txt", { jobId: "65", cluster: "lab" }],
    ["sbatch-submit.hand-plain.txt", { jobId: "66", cluster: null }],
  ])("%s", (name, value) => {
    expect(parseSbatchSubmit(fixture(name))).toEqual({ ok: true, value });
  });

  test.each([[""], ["sbatch: error: Batch job submission failed"], ["abc;def\n"]])("%j has no job id", (text) => {
    expect(parseSbatchSubmit(text)).toMatchObject({ ok: false });
  });
});

describe("parseTestOnly", () => {
  test("the notes' estimate", () => {
    expect(parseTestOnly(fixture("sbatch-test-only.notes-estimate.txt"), UTC)).toEqual({
      kind: "estimate",
      estimate: {
        jobId: "47",
        start: at("2026-11-23T02:40:01"),
        cpus: 1,
        nodes: ["a6000-01"],
        partition: "gpu-a6000",
      },
    });
  });

  test("nodes as a hostlist", () => {
    expect(parseTestOnly(fixture("sbatch-test-only.hand-hostlist.txt"), UTC)).toMatchObject({
      kind: "estimate",
      estimate: { jobId: "93", cpus: 2, nodes: ["a6000-01", "a6000-02"], start: at("2026-11-23T02:45:09") },
    });
  });

  test("the start as epoch seconds (SLURM_TIME_FORMAT=%s)", () => {
    expect(parseTestOnly(fixture("sbatch-test-only.hand-epoch.txt"))).toMatchObject({
      kind: "estimate",
      estimate: { jobId: "94", start: { kind: "at", epoch: 1795401896 }, partition: "gpu-mig" },
    });
  });

  test("a start in a format rv does not read is kept raw", () => {
    const text = "sbatch: Job 9 to start at Mon Nov 23 02:40 using 1 processors on nodes x-01 in partition p";
    expect(parseTestOnly(text)).toMatchObject({
      kind: "estimate",
      estimate: { start: { kind: "other", raw: "Mon Nov 23 02:40" }, nodes: ["x-01"] },
    });
  });

  test("an error instead of an estimate", () => {
    expect(parseTestOnly(fixture("sbatch-error.notes-invalid-partition.txt"))).toEqual({
      kind: "error",
      error: {
        kind: "invalid_partition",
        message: "invalid partition specified: nosuchpart",
        partition: "nosuchpart",
      },
    });
  });
});

describe("classifySbatchError", () => {
  test.each([
    ["sbatch-error.notes-node-config.txt", "node_config_unavailable", "Requested node configuration is not available"],
    ["sbatch-error.notes-invalid-partition.txt", "invalid_partition", "invalid partition specified: nosuchpart"],
    [
      "sbatch-error.notes-rejected-submit.txt",
      "node_config_unavailable",
      "Requested node configuration is not available",
    ],
    [
      "sbatch-error.hand-invalid-account.txt",
      "invalid_account",
      "Invalid account or account/partition combination specified",
    ],
    ["sbatch-error.hand-qos-limit.txt", "qos_or_limit", "QOSMaxSubmitJobPerUserLimit"],
    ["sbatch-error.hand-other.txt", "other", "Unable to contact slurm controller (connect failure)"],
  ])("%s -> %s", (name, kind, message) => {
    expect(classifySbatchError(fixture(name))).toMatchObject({ kind, message });
  });

  test.each([
    ["sbatch: error: Batch job submission failed: Invalid qos specification", "qos_or_limit"],
    [
      "sbatch: error: Batch job submission failed: Requested time limit is invalid (missing or exceeds some limit)",
      "qos_or_limit",
    ],
    ["", "other"],
    ["\u0000garbage\n\n", "other"],
  ])("%j -> %s", (text, kind) => {
    expect(classifySbatchError(text).kind).toBe(kind);
  });
});

describe("sbatch on live captures (Slurm 22.05.8)", () => {
  test("--parsable prints the bare id; plain sbatch the sentence", () => {
    expect(parseSbatchSubmit(live("sbatch-parsable").stdout)).toEqual({
      ok: true,
      value: { jobId: "13", cluster: null },
    });
    expect(parseSbatchSubmit(live("sbatch-plain").stdout)).toEqual({ ok: true, value: { jobId: "14", cluster: null } });
  });

  test("a rejected submission: rc 1, no id on stdout, the reason on stderr", () => {
    const rejected = live("sbatch-rejected");
    expect(rejected).toMatchObject({ rc: 1, stdout: "" });
    expect(parseSbatchSubmit(rejected.stdout)).toMatchObject({ ok: false });
    expect(classifySbatchError(rejected.stderr)).toEqual({
      kind: "node_config_unavailable",
      message: "Requested node configuration is not available",
      partition: null,
    });
  });

  describe("--test-only (the answer is on stderr)", () => {
    const testOnly = (name: string) => parseTestOnly(live(name).stderr, UTC);

    test("a start now, on a free node", () => {
      expect(testOnly("test-only-ok-now")).toEqual({
        kind: "estimate",
        estimate: {
          jobId: "16",
          start: at("2026-11-23T06:37:57"),
          cpus: 1,
          nodes: ["a100-01"],
          partition: "gpu-a100-80",
        },
      });
    });

    test("a later start, printed as wall-clock time or as epoch seconds: the same instant", () => {
      const later = testOnly("test-only-ok-later");
      expect(later).toMatchObject({ estimate: { jobId: "17", start: at("2026-11-23T06:52:57"), nodes: ["a6000-02"] } });
      expect(live("test-only-ok-epoch").command).toMatch(/^SLURM_TIME_FORMAT=%s /);
      const epoch = parseTestOnly(live("test-only-ok-epoch").stderr);
      expect(epoch).toMatchObject({ estimate: { jobId: "18", start: { kind: "at", epoch: 1795416777 } } });
      const startOf = (t: TestOnly) => (t.kind === "estimate" ? t.estimate.start : null);
      expect(startOf(epoch)).toEqual(startOf(later));
    });

    test("-N 2: the nodes come as a hostlist, expanded", () => {
      expect(testOnly("test-only-ok-multinode")).toMatchObject({
        kind: "estimate",
        estimate: { jobId: "19", cpus: 2, nodes: ["cpu-01", "cpu-02"], partition: "standard" },
      });
    });

    test.each([
      ["test-only-err-config", "node_config_unavailable", "Requested node configuration is not available", null],
      ["test-only-err-type", "node_config_unavailable", "Requested node configuration is not available", null],
      ["test-only-err-partition", "invalid_partition", "invalid partition specified: nosuchpart", "nosuchpart"],
    ])("%s (rc 1) -> %s", (name, kind, message, partition) => {
      expect(live(name).rc).toBe(1);
      expect(testOnly(name)).toEqual({ kind: "error", error: { kind, message, partition } });
    });
  });
});
