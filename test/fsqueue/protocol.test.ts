/** The protocol's rules beside the invariants: names readers skip, the tmp/ sweep, cancel, and reading a snapshot. */
import { existsSync, readdirSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import {
  cancelPendingTask,
  claimDir,
  claimFile,
  claimTask,
  dependencyVerdict,
  doneStates,
  ensureClaimDir,
  hasControl,
  type LeasePaths,
  latestState,
  listRecordKeys,
  readDoneOne,
  readPending,
  readSnapshot,
  recordFile,
  recoverClaims,
  requestControl,
  sweepTmp,
  TMP_MAX_AGE_MS,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { makeDone, makeTask, openLease, publish } from "./factory.ts";

let home: { root: string; cleanup: () => void };
let p: LeasePaths;
const ctx = { host: "laptop", now: new Date("2025-01-02T00:00:00Z") };

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

test("readers skip dot-files and names that do not end in .json", () => {
  const task = makeTask();
  const key = publish(p, task);
  const hidden = makeTask();
  writeRecordAtomic(p.tmp, join(p.inbox, `.${hidden.id}.json`), hidden);
  writeRecordAtomic(p.tmp, join(p.inbox, `${hidden.id}.json.1234.abcdef`), hidden);
  writeFileSync(join(p.inbox, "README"), "not a task");

  expect(listRecordKeys(p.inbox)).toEqual([key]);
  expect(readPending(p).map((e) => e.key)).toEqual([key]);

  // Nor does recovery take over a dot-file in a stale runner's claim directory (an NFS `.nfsXXXX`, say).
  ensureClaimDir(p, "r-dead");
  writeRecordAtomic(p.tmp, join(claimDir(p, "r-dead"), `.${hidden.id}.json`), hidden);
  expect(claimTask(p, "r-dead", key).kind).toBe("claimed");
  expect(recoverClaims(p, "r-dead", "cli-1", ctx)).toEqual([{ task: key, outcome: "requeued", attempt: 2 }]);
  expect(readdirSync(claimDir(p, "r-dead"))).toEqual([`.${hidden.id}.json`]);
});

test("tmp/ leftovers older than a day are swept; younger ones are left to their writers", () => {
  expect(TMP_MAX_AGE_MS).toBe(24 * 3600 * 1000);
  const now = Date.now();
  const old = join(p.tmp, "a.json.111.aaaaaa");
  const young = join(p.tmp, "b.json.222.bbbbbb");
  writeFileSync(old, "{");
  writeFileSync(young, "{");
  utimesSync(old, new Date(now - TMP_MAX_AGE_MS - 60_000), new Date(now - TMP_MAX_AGE_MS - 60_000));
  utimesSync(young, new Date(now - TMP_MAX_AGE_MS + 60_000), new Date(now - TMP_MAX_AGE_MS + 60_000));

  expect(sweepTmp(p, now)).toBe(1);
  expect(readdirSync(p.tmp)).toEqual(["b.json.222.bbbbbb"]);
});

test("cancel of a pending task: the client claims it into claimed/<client>/, then records it cancelled in done/", () => {
  const task = makeTask();
  const key = publish(p, task);

  expect(cancelPendingTask(p, key, "cli-1", ctx)).toBe("cancelled");
  expect(readDoneOne(p, task.id)).toMatchObject({ state: "cancelled", task: { id: task.id, attempt: 1 } });
  expect(listRecordKeys(p.inbox)).toEqual([]);
  expect(existsSync(claimDir(p, "cli-1"))).toBe(false);
  expect(hasControl(p, task.id, "cancel")).toBe(false);
});

test("cancel of a task a runner claimed first: the client loses the race and leaves control/<id>.cancel for the runner", () => {
  const task = makeTask();
  const key = publish(p, task);
  ensureClaimDir(p, "r-a");
  expect(claimTask(p, "r-a", key).kind).toBe("claimed");

  expect(cancelPendingTask(p, key, "cli-1", ctx)).toBe("not-pending");
  expect(hasControl(p, task.id, "cancel")).toBe(true);
  expect(existsSync(claimFile(p, "r-a", key))).toBe(true);
  // Were that runner to die now, its recovery honours the request instead of running the task again.
  expect(recoverClaims(p, "r-a", "cli-2", ctx)).toEqual([{ task: task.id, outcome: "cancelled" }]);
  expect(readDoneOne(p, task.id)?.state).toBe("cancelled");
  expect(listRecordKeys(p.inbox)).toEqual([]);
});

test("cancel by a client that died after its claim: recovery of the client's claim directory settles it as cancelled", () => {
  const task = makeTask();
  const key = publish(p, task);
  // cancelPendingTask's first two steps, then the client is gone.
  requestControl(p, task.id, "cancel", "cli-1", ctx.now);
  ensureClaimDir(p, "cli-1");
  expect(claimTask(p, "cli-1", key).kind).toBe("claimed");

  expect(recoverClaims(p, "cli-1", "cli-2", ctx)).toEqual([{ task: task.id, outcome: "cancelled" }]);
  expect(readDoneOne(p, task.id)).toMatchObject({ state: "cancelled", reason: "cancelled while its runner was lost" });
  expect(listRecordKeys(p.inbox)).toEqual([]);
});

test("a snapshot that sees a task twice resolves it to its newest copy", () => {
  const claimedOnce = makeTask();
  const requeued = makeTask();
  const lateFinish = makeTask();
  // Claimed between the listing of inbox/ and of claimed/: same attempt in both.
  publish(p, claimedOnce);
  ensureClaimDir(p, "r-a");
  writeRecordAtomic(p.tmp, claimFile(p, "r-a", claimedOnce.id), claimedOnce);
  // A crash inside requeue: the next attempt is in the inbox, the old claim is still there.
  publish(p, { ...requeued, attempt: 2 });
  writeRecordAtomic(p.tmp, claimFile(p, "r-a", requeued.id), requeued);
  // A runner judged stale finished attempt 1 after attempt 2 had been claimed by another runner.
  writeRecordAtomic(p.tmp, recordFile(p.done, lateFinish.id), makeDone(lateFinish));
  ensureClaimDir(p, "r-b");
  writeRecordAtomic(p.tmp, claimFile(p, "r-b", lateFinish.id), { ...lateFinish, attempt: 2 });

  const latest = latestState(readSnapshot(p));
  expect(latest.get(claimedOnce.id)).toMatchObject({ state: "claimed", owner: "r-a" });
  expect(latest.get(requeued.id)).toMatchObject({ state: "pending", task: { attempt: 2 } });
  expect(latest.get(lateFinish.id)).toMatchObject({ state: "claimed", owner: "r-b", task: { attempt: 2 } });
  expect(latest.size).toBe(3);
});

test("a dependency has ended by its done/ record, unless a newer attempt of it waits or runs (a requeue)", () => {
  const failed = makeTask();
  const ok = makeTask();
  writeRecordAtomic(p.tmp, recordFile(p.done, failed.id), makeDone(failed, { state: "failed", exitCode: 1 }));
  writeRecordAtomic(p.tmp, recordFile(p.done, ok.id), makeDone(ok));
  const ended = doneStates(p);
  expect([ended(failed.id), ended(ok.id), ended("0nosuchtask")]).toEqual(["failed", "succeeded", undefined]);
  expect(dependencyVerdict([ok.id, failed.id], ended)).toEqual({ kind: "failed", dep: failed.id, state: "failed" });

  publish(p, { ...failed, attempt: 2 }); // rv requeue: the old done/ record stays until the new attempt ends
  expect(doneStates(p)(failed.id)).toBeUndefined();
  ensureClaimDir(p, "r1");
  expect(claimTask(p, "r1", failed.id).kind).toBe("claimed");
  expect(dependencyVerdict([ok.id, failed.id], doneStates(p))).toEqual({ kind: "waiting", on: failed.id });
});
