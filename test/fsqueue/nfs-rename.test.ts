/**
 * A network filesystem may report an error for a rename that did happen (the reply was lost and the
 * retried request found the source gone). Here `rename` itself is made to do that, or to fail for real.
 */
import * as fs from "node:fs";
import { afterEach, beforeEach, expect, test, vi } from "vitest";
import {
  claimDir,
  claimFile,
  claimTask,
  ensureClaimDir,
  type LeasePaths,
  listRecordKeys,
  readPending,
  recordFile,
  recoverClaims,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { makeTask, openLease, publish } from "./factory.ts";

const nfs = vi.hoisted(() => ({
  next: undefined as undefined | "happened-then-EIO" | "EIO",
  link: [] as ("ENOENT" | "happened-then-ESTALE")[],
}));

vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const renameSync: typeof real.renameSync = (from, to) => {
    const mode = nfs.next;
    nfs.next = undefined;
    if (mode === "happened-then-EIO") real.renameSync(from, to);
    if (mode) throw Object.assign(new Error(`EIO: i/o error, rename '${from}' -> '${to}'`), { code: "EIO" });
    real.renameSync(from, to);
  };
  // Each call takes the next scripted answer: ENOENT without linking (sshfs with caching, for a file it has
  // just created), or the link done and ESTALE reported (its reply lost); then real links.
  const linkSync: typeof real.linkSync = (from, to) => {
    const mode = nfs.link.shift();
    if (mode === "happened-then-ESTALE") real.linkSync(from, to);
    if (mode)
      throw Object.assign(new Error(`${mode.replace(/.*-/, "")}: link '${from}' -> '${to}'`), {
        code: mode.replace(/.*-/, ""),
      });
    real.linkSync(from, to);
  };
  const mocked = { renameSync, linkSync };
  return { ...real, default: { ...real, ...mocked }, ...mocked };
});

let home: { root: string; cleanup: () => void };
let p: LeasePaths;

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
  ensureClaimDir(p, "r-a");
});
afterEach(() => {
  nfs.next = undefined;
  nfs.link = [];
  home.cleanup();
});

test("invariant 2: claim is exclusive — a claim rename that happened but reported EIO is verified and counts as claimed", () => {
  const key = publish(p, makeTask());
  nfs.next = "happened-then-EIO";
  expect(claimTask(p, "r-a", key)).toMatchObject({ kind: "claimed", key, file: claimFile(p, "r-a", key) });
  expect(listRecordKeys(p.inbox)).toEqual([]);
});

test("invariant 2: claim is exclusive — a claim rename that really failed with EIO is an error, not a lost race", () => {
  const key = publish(p, makeTask());
  nfs.next = "EIO";
  expect(() => claimTask(p, "r-a", key)).toThrow(/EIO/);
  expect(listRecordKeys(p.inbox)).toEqual([key]);
  expect(fs.existsSync(claimFile(p, "r-a", key))).toBe(false);
});

test("invariant 6: at-least-once, with attempt numbers — a takeover rename that happened but reported EIO still requeues the task once", () => {
  const key = publish(p, makeTask());
  expect(claimTask(p, "r-a", key).kind).toBe("claimed");
  nfs.next = "happened-then-EIO";
  expect(recoverClaims(p, "r-a", "cli-1", { host: "h", now: new Date() })).toEqual([
    { task: key, outcome: "requeued", attempt: 2 },
  ]);
  expect(readPending(p).map((e) => [e.key, e.task.attempt])).toEqual([[key, 2]]);
  expect(fs.readdirSync(claimDir(p, "cli-1"))).toEqual([]);
  expect(fs.existsSync(recordFile(p.inbox, key))).toBe(true);
});

test("invariant 1: a publish is whole or absent — a link refused with ENOENT for a staging file that is there is asked again", () => {
  nfs.link = ["ENOENT", "ENOENT"];
  const key = publish(p, makeTask());
  expect(listRecordKeys(p.inbox)).toEqual([key]);
  expect(fs.readdirSync(p.tmp)).toEqual([]);
});

test("invariant 1: a publish is whole or absent — a link that happened but reported ESTALE is found to be ours, not a clash", () => {
  nfs.link = ["happened-then-ESTALE"];
  const key = publish(p, makeTask());
  expect(readPending(p).map((e) => e.key)).toEqual([key]);
  expect(fs.readdirSync(p.tmp)).toEqual([]);
});
