import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RvError } from "../../src/errors.ts";
import { runnerOptions } from "../../src/runner/index.ts";
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
});
