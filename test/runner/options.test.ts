import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RvError } from "../../src/errors.ts";
import { parseSegmentEnd, runnerOptions } from "../../src/runner/index.ts";
import { makeHome } from "../helpers/home.ts";

describe("runnerOptions", () => {
  const log = () => {};
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  it("defaults, with the root from RV_HOME", () => {
    const opts = runnerOptions({ lease: "L", env: { RV_HOME: home.root }, log });
    expect(opts).toMatchObject({ root: home.root, lease: "L", heartbeatMs: 2000, staleAfterMs: 30_000 });
    expect(opts.gpuIds).toBeUndefined();
    expect(opts.cpus).toBeUndefined();
  });

  it("reads the timing knobs from config.toml, and RV_* variables over it", () => {
    writeFileSync(join(home.root, "config.toml"), "[runner]\nkillGraceMs = 70\nstaleAfterMs = 800\n");
    const env = { RV_HEARTBEAT_MS: "100", RV_STALE_AFTER_MS: "900", RV_DRAIN_GRACE_MS: "0" };
    const opts = runnerOptions({ lease: "L", root: home.root, env, log });
    expect(opts).toMatchObject({ heartbeatMs: 100, staleAfterMs: 900, drainGraceMs: 0, killGraceMs: 70 });
  });

  it("rejects a knob that is not a number, naming it", () => {
    const bad = () => runnerOptions({ lease: "L", root: home.root, env: { RV_STALE_AFTER_MS: "30s" }, log });
    expect(bad).toThrow(RvError);
    expect(bad).toThrow(/RV_STALE_AFTER_MS=30s/);
  });

  it("the checkpoint grace: 20 s by default, RV_CHECKPOINT_GRACE_MS over it", () => {
    expect(runnerOptions({ lease: "L", root: home.root, env: {}, log }).checkpointGraceMs).toBe(20_000);
    const env = { RV_CHECKPOINT_GRACE_MS: "0" };
    expect(runnerOptions({ lease: "L", root: home.root, env, log }).checkpointGraceMs).toBe(0);
  });

  it("the segment end: the input's epoch ms, else RV_SEGMENT_END in epoch seconds, else unknown", () => {
    const env = { RV_SEGMENT_END: "1767225600" };
    expect(runnerOptions({ lease: "L", root: home.root, env, log }).segmentEndsAt).toBe(1_767_225_600_000);
    expect(runnerOptions({ lease: "L", root: home.root, env, log, segmentEndsAt: 5 }).segmentEndsAt).toBe(5);
    expect(runnerOptions({ lease: "L", root: home.root, env: {}, log }).segmentEndsAt).toBeUndefined();
  });
});

describe("parseSegmentEnd", () => {
  it("takes seconds since the epoch and rejects anything else, naming where it came from", () => {
    expect(parseSegmentEnd("--segment-end", "1767225600")).toBe(1_767_225_600_000);
    expect(parseSegmentEnd("--segment-end", undefined)).toBeUndefined();
    for (const bad of ["", "soon", "-1", "2026-01-01T00:00:00Z"]) {
      expect(() => parseSegmentEnd("RV_SEGMENT_END", bad)).toThrow(
        /^RV_SEGMENT_END ".*": expected seconds since the epoch$/,
      );
    }
  });
});
