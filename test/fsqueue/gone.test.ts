/** A dead runner whose claims were recovered is gone: views stop counting it, and its heartbeat is pruned later. */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  claimDir,
  ensureClaimDir,
  GONE_KEPT_STALE_PERIODS,
  heartbeatFile,
  holdsClaims,
  isGone,
  type LeasePaths,
  type PruneFacts,
  pruneRunner,
  REMOTE_GONE_KEPT_MS,
  shimDir,
  shouldPrune,
  stillForMs,
  writeHeartbeat,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { makeHeartbeat, openLease } from "./factory.ts";

const T = 30_000;
const NOW = Date.parse("2025-01-01T12:00:00Z");
const [DEAD_PID, LIVE_PID] = [4242, 4343];

describe("a runner is gone once it is stale and holds no claim", () => {
  test("only a stale runner with nothing left in claimed/ is gone", () => {
    expect(isGone("stale", false)).toBe(true);
    expect(isGone("stale", true)).toBe(false);
    expect(isGone("alive", false)).toBe(false);
    // An exited runner left on its own: it is not a dead one.
    expect(isGone("exited", false)).toBe(false);
  });
});

describe("a gone runner's heartbeat is pruned once still for long enough where it lives", () => {
  const facts = (overrides: Partial<PruneFacts>): PruneFacts => ({
    liveness: "stale",
    holdsClaims: false,
    hb: { host: "login1", pid: DEAD_PID },
    localHost: "login1",
    pidAlive: (pid) => pid === LIVE_PID,
    stillForMs: 0,
    staleAfterMs: T,
    ...overrides,
  });

  test("on the observer's host when its dead pid proves it, after a few stale periods", () => {
    const kept = GONE_KEPT_STALE_PERIODS * T;
    expect(shouldPrune(facts({ stillForMs: kept }))).toBe(false);
    expect(shouldPrune(facts({ stillForMs: kept + 1 }))).toBe(true);
  });

  test("on the observer's host with its pid alive (a runner stopped with SIGSTOP is stale, not dead), not before a day", () => {
    const live = { host: "login1", pid: LIVE_PID };
    expect(shouldPrune(facts({ hb: live, stillForMs: GONE_KEPT_STALE_PERIODS * T + 1 }))).toBe(false);
    expect(shouldPrune(facts({ hb: live, stillForMs: REMOTE_GONE_KEPT_MS }))).toBe(false);
    expect(shouldPrune(facts({ hb: live, stillForMs: REMOTE_GONE_KEPT_MS + 1 }))).toBe(true);
  });

  test("on another host (only a counter standing still, whatever its pid), not before a day by the observer's clock", () => {
    expect(REMOTE_GONE_KEPT_MS).toBe(24 * 3600 * 1000);
    const remote = { host: "node7", pid: DEAD_PID };
    expect(shouldPrune(facts({ hb: remote, stillForMs: GONE_KEPT_STALE_PERIODS * T + 1 }))).toBe(false);
    expect(shouldPrune(facts({ hb: remote, stillForMs: REMOTE_GONE_KEPT_MS }))).toBe(false);
    expect(shouldPrune(facts({ hb: remote, stillForMs: REMOTE_GONE_KEPT_MS + 1 }))).toBe(true);
  });

  test("never while it holds a claim, is alive, or exited on its own, however long", () => {
    const long = 10 * REMOTE_GONE_KEPT_MS;
    expect(shouldPrune(facts({ holdsClaims: true, stillForMs: long }))).toBe(false);
    expect(shouldPrune(facts({ liveness: "alive", stillForMs: long }))).toBe(false);
    expect(shouldPrune(facts({ liveness: "exited", stillForMs: long }))).toBe(false);
  });

  test("still is measured from the observer's first sighting of the counter, never by the heartbeat's time", () => {
    const observation = { counter: 1, seenAtMs: NOW - 2000 };
    expect(stillForMs({ observation, nowMs: NOW })).toBe(2000);
  });
});

describe("pruning on disk", () => {
  let home: { root: string; cleanup: () => void };
  let p: LeasePaths;
  beforeEach(() => {
    home = makeHome();
    p = openLease(home.root);
  });
  afterEach(() => home.cleanup());

  test("holdsClaims sees claims and takeovers, not an empty or missing directory", () => {
    expect(holdsClaims(p, "r-dead")).toBe(false);
    ensureClaimDir(p, "r-dead");
    expect(holdsClaims(p, "r-dead")).toBe(false);
    writeFileSync(`${claimDir(p, "r-dead")}/k.recovering`, "{}");
    expect(holdsClaims(p, "r-dead")).toBe(true);
  });

  test("removes the empty claim directory, then the heartbeat and its scontrol shim; a claim that appeared meanwhile keeps both", () => {
    const hb = makeHeartbeat({ runner: "r-dead" });
    writeHeartbeat(p, hb);
    ensureClaimDir(p, "r-dead");
    mkdirSync(shimDir(p, "r-dead"), { recursive: true });
    writeFileSync(`${shimDir(p, "r-dead")}/scontrol`, "#!/bin/sh\n");
    expect(pruneRunner(p, "r-dead")).toBe(true);
    expect(existsSync(claimDir(p, "r-dead"))).toBe(false);
    expect(existsSync(heartbeatFile(p, "r-dead"))).toBe(false);
    expect(existsSync(shimDir(p, "r-dead"))).toBe(false);

    writeHeartbeat(p, { ...hb, runner: "r-late" });
    mkdirSync(claimDir(p, "r-late"));
    writeFileSync(`${claimDir(p, "r-late")}/k.json`, "{}");
    expect(pruneRunner(p, "r-late")).toBe(false);
    expect(existsSync(heartbeatFile(p, "r-late"))).toBe(true);
    // A runner that never had a claim directory is pruned all the same.
    writeHeartbeat(p, { ...hb, runner: "r-bare" });
    expect(pruneRunner(p, "r-bare")).toBe(true);
    expect(existsSync(heartbeatFile(p, "r-bare"))).toBe(false);
  });
});
