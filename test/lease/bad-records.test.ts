/** What readers make of records they cannot read: a task with a broken done record, a lease with a broken record. */
import { existsSync, rmSync, writeFileSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { RvError } from "../../src/errors.ts";
import { type LeasePaths, recordFile, writeRecordAtomic } from "../../src/fsqueue/index.ts";
import {
  type BadLease,
  badLeaseText,
  isTerminal,
  listLeases,
  newLocalLease,
  readLease,
  readLeaseState,
  readTaskView,
  removalRefusal,
  writeLease,
} from "../../src/lease/index.ts";
import { LEASE, makeDone, makeTask, openLease, publish } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";

let home: ReturnType<typeof makeHome>;
let p: LeasePaths;
const observer = { host: "laptop", nowMs: Date.now(), staleAfterMs: 30_000, pidAlive: () => false };

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

describe("a task whose done record cannot be read", () => {
  test("is unknown, with the file and the reason, terminal, and named as its record still says", () => {
    const named = makeTask({ name: "train" });
    const garbled = makeTask();
    writeRecordAtomic(p.tmp, recordFile(p.done, named.id), { ...makeDone(named), exitCode: "zero" });
    writeFileSync(recordFile(p.done, garbled.id), "garbage");
    const views = readLeaseState(p, observer).tasks;
    expect(views.map((v) => [v.id, v.name, v.state, v.lease])).toEqual([
      [named.id, "train", "unknown", LEASE],
      [garbled.id, null, "unknown", LEASE],
    ]);
    expect(views[1]?.reason).toMatch(
      new RegExp(`^its done record ${recordFile(p.done, garbled.id)} cannot be read \\(not JSON`),
    );
    expect(readTaskView(p, garbled.id, observer)).toEqual(views[1]);
    expect(isTerminal("unknown")).toBe(true);
  });

  test("is shown by its other copy when it has one: a requeued task waiting in the inbox is pending", () => {
    const task = makeTask();
    writeFileSync(recordFile(p.done, task.id), "garbage");
    publish(p, { ...task, attempt: 2 });
    expect(readLeaseState(p, observer).tasks.map((v) => v.state)).toEqual(["pending"]);
    expect(readTaskView(p, task.id, observer)?.state).toBe("pending");
  });

  test("makes the tasks after it dep_failed, saying its record cannot be read, the whole chain and a lone read alike", () => {
    const first = makeTask({ name: "first" });
    const then = makeTask({ name: "then", after: [first.id] });
    const last = makeTask({ name: "last", after: [then.id] });
    writeRecordAtomic(p.tmp, recordFile(p.done, first.id), { ...makeDone(first), exitCode: "zero" });
    publish(p, then);
    publish(p, last);
    const unreadable = `dependency first (${first.id}) ended, but its done record cannot be read`;
    expect(readLeaseState(p, observer).tasks.map((v) => [v.name, v.state, v.reason])).toEqual([
      ["first", "unknown", expect.stringMatching(/^its done record .* cannot be read/)],
      ["then", "dep_failed", unreadable],
      ["last", "dep_failed", `dependency then (${then.id}) failed`],
    ]);
    expect(readTaskView(p, then.id, observer)).toMatchObject({ state: "dep_failed", reason: unreadable });
  });

  test("keeps the tasks after it blocked while a newer attempt of it waits (a requeue)", () => {
    const first = makeTask({ name: "first" });
    writeFileSync(recordFile(p.done, first.id), "garbage");
    publish(p, { ...first, attempt: 2 });
    const then = makeTask({ name: "then", after: [first.id] });
    publish(p, then);
    expect(readLeaseState(p, observer).tasks.map((v) => v.state)).toEqual(["pending", "blocked"]);
    expect(readTaskView(p, then.id, observer)?.state).toBe("blocked");
  });
});

describe("a lease whose record cannot be read", () => {
  test("is left out of a listing and told of, the others listed; a read of it alone is an error with the way back", () => {
    writeLease(home.root, newLocalLease("good", "laptop", new Date(), {}));
    writeFileSync(p.leaseFile, "garbage");
    const told: BadLease[] = [];
    expect(listLeases(home.root, (bad) => told.push(bad)).map((l) => l.id)).toEqual(["good"]);
    expect(told).toEqual([
      { lease: LEASE, record: p.leaseFile, state: "moved-now", file: expect.any(String), reason: expect.any(String) },
    ]);
    expect(existsSync(p.leaseFile)).toBe(false);
    const error = (() => {
      try {
        readLease(home.root, LEASE);
      } catch (caught) {
        return caught;
      }
    })();
    expect(error).toBeInstanceOf(RvError);
    expect(error).toMatchObject({
      code: "bad_record",
      hint: expect.stringContaining(`mv ${told[0]?.file} ${p.leaseFile}`),
    });
  });

  test("is left out of a listing, the others listed, when it cannot be moved aside either (a bad/ in the way)", () => {
    writeLease(home.root, newLocalLease("good", "laptop", new Date(), {}));
    writeFileSync(p.leaseFile, "garbage");
    rmSync(p.bad, { recursive: true });
    writeFileSync(p.bad, "in the way");
    const told: BadLease[] = [];
    expect(listLeases(home.root, (bad) => told.push(bad)).map((l) => l.id)).toEqual(["good"]);
    expect(told).toEqual([
      {
        lease: LEASE,
        record: p.leaseFile,
        state: "unmoved",
        file: p.leaseFile,
        reason: expect.stringMatching(/^not JSON.*; it could not be moved aside: /),
      },
    ]);
    expect(existsSync(p.leaseFile)).toBe(true);
    expect(() => readLease(home.root, LEASE)).toThrow(RvError);
  });

  test("is told what happened and how to get it back; a newer rv's record, to use that rv", () => {
    const moved = {
      lease: "b",
      reason: "not JSON",
      file: "/r/leases/b/bad/lease.json.x1",
      record: "/r/leases/b/lease.json",
    };
    expect(badLeaseText({ ...moved, state: "moved-now" })).toEqual({
      message:
        "lease b: its record could not be read (not JSON) and was moved to /r/leases/b/bad/lease.json.x1; its tasks stay where they are",
      hint: "repair the record and put it back (mv /r/leases/b/bad/lease.json.x1 /r/leases/b/lease.json), or, for a local lease, give it a new record: rv lease up --local --name b",
    });
    const left = badLeaseText({ ...moved, file: moved.record, state: "left" });
    expect(left.hint).toMatch(/a newer rv wrote it/);
    const unmoved = badLeaseText({
      ...moved,
      reason: "not JSON; it could not be moved aside: EROFS",
      state: "unmoved",
    });
    expect(unmoved.message).toBe(
      "lease b: its record /r/leases/b/lease.json cannot be read (not JSON; it could not be moved aside: EROFS); it was left where it is",
    );
    expect(unmoved.hint).toMatch(/^repair the record where it is, or, .*rv lease up --local --name b$/);
  });
});

describe("removalRefusal", () => {
  test("refuses an active lease, saying to release it first (exit 2)", () => {
    const refusal = removalRefusal({ id: "exp", state: "active" }, []);
    expect(refusal?.exitCode).toBe(2);
    expect(refusal?.message).toMatch(/lease exp is active/);
    expect(refusal?.hint).toBe("rv lease release exp first");
  });

  test("refuses a released lease while a runner of it is alive, naming it", () => {
    const runners = [
      { id: "n1-1-aaaaaa", health: "exited" as const },
      { id: "n1-2-bbbbbb", health: "draining" as const },
    ];
    const refusal = removalRefusal({ id: "exp", state: "released" }, runners);
    expect(refusal?.exitCode).toBe(2);
    expect(refusal?.message).toBe("lease exp still has a runner alive: n1-2-bbbbbb (draining)");
  });

  test("lets a released lease go once its runners are exited, stale or gone", () => {
    const runners = (["exited", "stale", "gone"] as const).map((health, i) => ({ id: `r${i}`, health }));
    expect(removalRefusal({ id: "exp", state: "released" }, runners)).toBeNull();
  });
});
