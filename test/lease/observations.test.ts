import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  claimDir,
  claimFile,
  heartbeatFile,
  leasePaths,
  PROTOCOL_VERSION,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { type Observer, readRunnerViews } from "../../src/lease/index.ts";
import { makeHeartbeat } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";

// Invariant 5 for one-shot observers: `rv rpc` on a login node runs once per call, so it keeps what it saw of
// compute-node runners in observed/<host>.json, and judges them by its own clock across calls.
describe("observations kept across one-shot reads", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(() => home.cleanup());

  const staleAfterMs = 30_000;
  const observer = (nowMs: number): Observer => ({ host: "login1", nowMs, staleAfterMs, pidAlive: () => true });

  function beat(counter: number): ReturnType<typeof leasePaths> {
    const p = leasePaths(home.root, "gpu");
    for (const dir of [p.hb, p.tmp]) mkdirSync(dir, { recursive: true });
    // The compute node's clock is an hour off: it must not matter.
    const hb = makeHeartbeat({ host: "node7", counter, time: "2020-01-01T00:00:00.000Z", lease: "gpu" });
    writeRecordAtomic(p.tmp, heartbeatFile(p, hb.runner), { ...hb, v: PROTOCOL_VERSION });
    // It holds a claim, so a stale look shows it stale (with nothing claimed it would be gone).
    mkdirSync(claimDir(p, hb.runner), { recursive: true });
    writeFileSync(claimFile(p, hb.runner, "t1"), "{}");
    return p;
  }

  test("a runner whose counter stands still longer than the threshold, as seen from here, is stale", () => {
    const p = beat(5);
    expect(readRunnerViews(p, observer(1_000_000))[0]?.health).toBe("ok");
    expect(readRunnerViews(p, observer(1_000_000 + staleAfterMs - 1))[0]?.health).toBe("ok");
    expect(readRunnerViews(p, observer(1_000_000 + staleAfterMs + 1))[0]?.health).toBe("stale");
    expect(statSync(`${p.observed}/login1.json`).mode & 0o777).toBe(0o600);
  });

  test("a counter that moved makes it alive again, from the moment it was seen to move", () => {
    const p = beat(5);
    readRunnerViews(p, observer(0));
    expect(readRunnerViews(p, observer(40_000))[0]?.health).toBe("stale");
    beat(6);
    expect(readRunnerViews(p, observer(41_000))[0]?.health).toBe("ok");
    expect(readRunnerViews(p, observer(41_000 + staleAfterMs + 1))[0]?.health).toBe("stale");
  });

  test("its heartbeat age is how long this host has seen the counter stand still, whatever its clock says", () => {
    const p = beat(5);
    expect(readRunnerViews(p, observer(1_000_000))[0]?.heartbeatAgeMs).toBe(0);
    expect(readRunnerViews(p, observer(1_004_000))[0]?.heartbeatAgeMs).toBe(4000);
    beat(6);
    expect(readRunnerViews(p, observer(1_006_000))[0]?.heartbeatAgeMs).toBe(0);
  });

  test("each observer host keeps its own memory, of the runners on its own host too", () => {
    const p = beat(5);
    readRunnerViews(p, observer(0));
    readRunnerViews(p, { ...observer(0), host: "login2" });
    readRunnerViews(p, { ...observer(0), host: "node7" });
    expect(readdirSync(p.observed).sort()).toEqual(["login1.json", "login2.json", "node7.json"]);
  });
});
