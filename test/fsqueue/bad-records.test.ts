/** Bad records a reader meets outside the inbox: a lease.json that does not parse, and a done/ record that does not. */
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  claimTask,
  dependencyReason,
  dependencyVerdict,
  doneStates,
  ensureClaimDir,
  isNewerRecord,
  type LeasePaths,
  leasePaths,
  lookAtLeaseRecord,
  PROTOCOL_VERSION,
  readSnapshot,
  readUnreadableDone,
  recordFile,
  scanDone,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { LEASE, makeDone, makeTask, openLease, publish } from "./factory.ts";

let home: { root: string; cleanup: () => void };
let p: LeasePaths;

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

const lease = {
  v: PROTOCOL_VERSION,
  id: LEASE,
  kind: "local",
  createdAt: "2025-01-01T00:00:00.000Z",
  host: "laptop",
  state: "active",
};

describe("isNewerRecord", () => {
  test.each([
    [{ version: PROTOCOL_VERSION + 1 }, true],
    [{ version: PROTOCOL_VERSION }, false],
    [{ version: 0 }, false],
    [{ version: "2" }, false],
    [{}, false],
  ])("a record that failed with %j is a newer rv's: %s", (failure, newer) => {
    expect(isNewerRecord(failure)).toBe(newer);
  });
});

describe("lookAtLeaseRecord", () => {
  test("a good record is read; a lease without one, and a leases/ entry that is no directory, have none", () => {
    writeRecordAtomic(p.tmp, p.leaseFile, lease);
    expect(lookAtLeaseRecord(p)).toMatchObject({ kind: "ok", lease: { id: LEASE } });
    const empty = openLease(home.root, "empty");
    expect(lookAtLeaseRecord(empty)).toEqual({ kind: "none" });
    writeFileSync(join(home.root, "leases", "stray"), "not a lease");
    expect(lookAtLeaseRecord(leasePaths(home.root, "stray"))).toEqual({ kind: "none" });
  });

  test.each([
    ["garbage", "garbage\n", /^not JSON/],
    ["truncated JSON", JSON.stringify(lease).slice(0, 30), /^not JSON/],
    ["a wrong schema", JSON.stringify({ ...lease, kind: "cloud" }), /^schema: kind/],
    ["no version", JSON.stringify({ ...lease, v: undefined }), /no protocol version/],
  ])(
    "%s goes to bad/ with the reason; later looks find it there, and nothing else of the lease moves",
    (_, text, why) => {
      writeRecordAtomic(p.tmp, recordFile(p.done, "t1"), makeDone(makeTask()));
      writeFileSync(p.leaseFile, text);
      const first = lookAtLeaseRecord(p);
      expect(first).toMatchObject({ kind: "bad", bad: { state: "moved-now", reason: expect.stringMatching(why) } });
      const moved = first.kind === "bad" ? first.bad.file : "";
      expect(moved.startsWith(join(p.bad, "lease.json."))).toBe(true);
      expect(readFileSync(moved, "utf8")).toBe(text);
      expect(readFileSync(`${moved}.why`, "utf8")).toMatch(why);
      expect(existsSync(p.leaseFile)).toBe(false);
      expect(readdirSync(p.done)).toEqual(["t1.json"]);
      expect(lookAtLeaseRecord(p)).toEqual({
        kind: "bad",
        bad: { state: "moved-before", file: moved, reason: first.kind === "bad" ? first.bad.reason : "" },
      });
    },
  );

  test("a newer rv's record is left where it is", () => {
    writeFileSync(p.leaseFile, JSON.stringify({ ...lease, v: PROTOCOL_VERSION + 1 }));
    expect(lookAtLeaseRecord(p)).toMatchObject({ kind: "bad", bad: { state: "left", file: p.leaseFile } });
    expect(existsSync(p.leaseFile)).toBe(true);
    expect(readdirSync(p.bad)).toEqual([]);
  });

  test("one that cannot be moved aside (bad/ is no directory) is bad where it is, with the reason and why it stayed", () => {
    writeFileSync(p.leaseFile, "garbage\n");
    rmSync(p.bad, { recursive: true });
    writeFileSync(p.bad, "in the way");
    const look = lookAtLeaseRecord(p);
    expect(look).toEqual({
      kind: "bad",
      bad: {
        state: "unmoved",
        file: p.leaseFile,
        reason: expect.stringMatching(/^not JSON.*; it could not be moved aside: EEXIST: /s),
      },
    });
    expect(readFileSync(p.leaseFile, "utf8")).toBe("garbage\n");
    expect(lookAtLeaseRecord(p)).toMatchObject({ kind: "bad", bad: { state: "unmoved" } });
  });

  test("a record written again after a quarantine is read, the bad one staying in bad/", () => {
    writeFileSync(p.leaseFile, "garbage");
    lookAtLeaseRecord(p);
    writeRecordAtomic(p.tmp, p.leaseFile, lease);
    expect(lookAtLeaseRecord(p)).toMatchObject({ kind: "ok" });
    expect(readdirSync(p.bad)).toHaveLength(2);
  });
});

describe("a done record that does not parse", () => {
  test("is reported with its reason and the task it still holds whole, and is left in place", () => {
    const whole = makeTask({ name: "whole" });
    const broken = makeTask();
    const good = makeTask();
    writeRecordAtomic(p.tmp, recordFile(p.done, whole.id), { ...makeDone(whole), state: "weird" });
    writeFileSync(recordFile(p.done, broken.id), '{"v":1,"task":');
    writeRecordAtomic(p.tmp, recordFile(p.done, good.id), makeDone(good));
    const { done, unreadable } = scanDone(p); // whole records: the done index keeps what the views read
    expect(done.map((d) => d.task.id)).toEqual([good.id]);
    expect(unreadable).toEqual([
      {
        id: whole.id,
        file: recordFile(p.done, whole.id),
        reason: expect.stringMatching(/^schema: state/),
        task: whole,
      },
      { id: broken.id, file: recordFile(p.done, broken.id), reason: expect.stringMatching(/^not JSON/), task: null },
    ]);
    expect(readSnapshot(p).unreadableDone.map((u) => u.id)).toEqual([whole.id, broken.id]);
    expect(readUnreadableDone(p, good.id)).toBeUndefined();
    expect(readUnreadableDone(p, broken.id)?.reason).toMatch(/^not JSON/);
    expect(readdirSync(p.done).sort()).toEqual([whole.id, broken.id, good.id].map((id) => `${id}.json`).sort());
  });

  test("ends its dependents as dependency-failed, the reason naming the unreadable record, unless a newer attempt is under way", () => {
    const first = makeTask();
    const ok = makeTask();
    writeFileSync(recordFile(p.done, first.id), "garbage");
    writeRecordAtomic(p.tmp, recordFile(p.done, ok.id), makeDone(ok));
    expect(doneStates(p)(first.id)).toBe("unknown");
    const verdict = dependencyVerdict([ok.id, first.id], doneStates(p));
    expect(verdict).toEqual({ kind: "failed", dep: first.id, state: "unknown" });
    if (verdict.kind === "ready") throw new Error("unreachable");
    expect(dependencyReason(verdict, () => "prep")).toBe(
      `dependency prep (${first.id}) ended, but its done record cannot be read`,
    );

    publish(p, { ...first, attempt: 2 }); // rv requeue: the broken record stays until the new attempt ends
    expect(dependencyVerdict([first.id], doneStates(p))).toEqual({ kind: "waiting", on: first.id });
    ensureClaimDir(p, "r1");
    expect(claimTask(p, "r1", first.id).kind).toBe("claimed");
    expect(doneStates(p)(first.id)).toBeUndefined();
  });
});
