import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import {
  type ClusterLock,
  ownCluster,
  processAlive,
  processLock,
  releaseCluster,
  shareCluster,
} from "./cluster-lock.ts";

// The turns test files take on the dev cluster (cluster-lock.ts): owners are plain names here, alive unless listed
// as gone, so one process plays several workers.
const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function locks(...owners: string[]): { gone: Set<string>; of: (owner: string) => ClusterLock } {
  const dir = mkdtempSync(join(tmpdir(), "rv-cluster-lock-"));
  dirs.push(dir);
  const gone = new Set<string>();
  return { gone, of: (owner) => ({ dir, owner, isAlive: (o) => owners.includes(o) && !gone.has(o) }) };
}

async function settled(promise: Promise<void>, ms: number): Promise<boolean> {
  const later = new Promise<false>((resolve) => setTimeout(() => resolve(false), ms));
  return Promise.race([promise.then(() => true), later]);
}

describe("turns on the dev cluster", () => {
  test("files share the cluster with each other", async () => {
    const { of } = locks("a", "b");
    await shareCluster(of("a"), 1_000);
    await shareCluster(of("b"), 1_000);
  });

  test("a file that needs the cluster whole waits until every sharer has left", async () => {
    const { of } = locks("a", "b", "w");
    await shareCluster(of("a"), 1_000);
    await shareCluster(of("b"), 1_000);
    const whole = ownCluster(of("w"), 10_000);
    releaseCluster(of("a"));
    expect(await settled(whole, 600)).toBe(false);
    releaseCluster(of("b"));
    expect(await settled(whole, 2_000)).toBe(true);
  });

  test("a sharer waits while the cluster is held whole, and a second claim waits for the first", async () => {
    const { of } = locks("a", "w", "v");
    await ownCluster(of("w"), 1_000);
    const share = shareCluster(of("a"), 10_000);
    const second = ownCluster(of("v"), 10_000);
    expect(await settled(share, 600)).toBe(false);
    releaseCluster(of("w"));
    // whichever gets the cluster next, the other waits until it is given back
    const next = await Promise.race([share.then(() => "a"), second.then(() => "v")]);
    const other = next === "a" ? second : share;
    expect(await settled(other, 600)).toBe(false);
    releaseCluster(of(next));
    expect(await settled(other, 2_000)).toBe(true);
  });

  test("a claim or a share whose process is gone is cleared by the next file", async () => {
    const { gone, of } = locks("a", "w", "v");
    await shareCluster(of("a"), 1_000);
    gone.add("a");
    await ownCluster(of("w"), 1_000);
    gone.add("w");
    await ownCluster(of("v"), 1_000);
    expect(existsSync(join(of("v").dir, "sharers", "a"))).toBe(false);
  });
});

describe("an owner's name", () => {
  test("is alive while its process runs, and not once the pid names another process or none", () => {
    const own = processLock(tmpdir()).owner;
    expect(processAlive(own)).toBe(true);
    const [pid, start, token] = own.split("-");
    // the same pid, started at another time: a stranger that inherited a stale name's pid
    expect(processAlive(`${pid}-${Number(start) + 1}-${token}`)).toBe(false);
    expect(processAlive(`4194304-${start}-${token}`)).toBe(false);
    expect(processAlive(`${pid}-${token}`)).toBe(false);
  });
});
