/** Notification markers (`notified/<key>.json`): created exclusively, so each event is sent by one sender. */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, expect, test } from "vitest";
import { clearNotified, createOnce, type LeasePaths, markNotified, notifiedFile } from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { LEASE, openLease } from "./factory.ts";
import { race } from "./workers.ts";

let home: { root: string; cleanup: () => void };
let p: LeasePaths;
const now = new Date("2025-01-02T00:00:00Z");

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

test("a notification is marked once — 4 processes marking the same 50 keys at once win each key exactly once", async () => {
  const results = await race<{ won: string[] }>(
    ["w1", "w2", "w3", "w4"].map((by) => ["mark", home.root, LEASE, "50", by]),
  );
  const won = results.flatMap((r) => r.won).sort();
  expect(won).toEqual(Array.from({ length: 50 }, (_, i) => `key-${i}`).sort());
  expect(readdirSync(p.notified)).toHaveLength(50);
  expect(readdirSync(p.tmp)).toEqual([]);
});

test("a marker is private, holds who marked it and what was sent, and a second mark loses", () => {
  expect(markNotified(p, "task-failed.abc.1", "runner-1", now, { text: "task abc failed" })).toBe(true);
  expect(markNotified(p, "task-failed.abc.1", "runner-2", now, { text: "task abc failed" })).toBe(false);
  const file = notifiedFile(p, "task-failed.abc.1");
  expect(statSync(file).mode & 0o777).toBe(0o600);
  expect(statSync(p.notified).mode & 0o777).toBe(0o700);
  expect(JSON.parse(readFileSync(file, "utf8"))).toMatchObject({
    v: 1,
    key: "task-failed.abc.1",
    by: "runner-1",
    detail: { text: "task abc failed" },
  });
});

test("a link that happened but answered EEXIST (a lost NFS reply) is the caller's; another writer's file is not", () => {
  const file = notifiedFile(p, "lease-started");
  mkdirSync(p.notified, { recursive: true });
  writeFileSync(file, "ours\n");
  expect(createOnce(p.tmp, file, "ours\n")).toBe(true);
  expect(createOnce(p.tmp, file, "theirs\n")).toBe(false);
});

test("clearNotified forgets a lease's markers (a new life), and keys are names, never paths", () => {
  markNotified(p, "lease-started", "r", now, {});
  markNotified(p, "lease-ended", "r", now, {});
  clearNotified(p, ["lease-started", "lease-ended", "../lease"]);
  expect(existsSync(notifiedFile(p, "lease-started"))).toBe(false);
  expect(markNotified(p, "lease-started", "r", now, {})).toBe(true);
  expect(() => markNotified(p, "../escape", "r", now, {})).toThrow(/notification key/);
});
