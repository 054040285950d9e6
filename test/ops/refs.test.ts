import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureLeaseDirs, leasePaths, recordFile, writeRecordAtomic } from "../../src/fsqueue/index.ts";
import { newLocalLease, writeLease } from "../../src/lease/index.ts";
import {
  candidatesFor,
  keepNewest,
  referableTasks,
  resolveSelection,
  resolveTaskRef,
  type TaskRef,
} from "../../src/ops/refs.ts";
import { makeDone, makeTask } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";

describe("resolveTaskRef with names", () => {
  const index: TaskRef[] = [
    { lease: "l", id: "0mx7aaaaaab1x", name: "train" },
    { lease: "l", id: "0mx7aaaaaab1y", name: "b1" },
    { lease: "l", id: "0mx7aaaaaaqb1", name: "eval" },
  ];

  it("a name finds its task; a suffix still finds an id", () => {
    expect(resolveTaskRef(index, "train").id).toBe("0mx7aaaaaab1x");
    expect(resolveTaskRef(index, "1x").id).toBe("0mx7aaaaaab1x");
  });

  it("a reference that is one task's name and the end of another's id is ambiguous, never silently either", () => {
    expect(() => resolveTaskRef(index, "b1")).toThrow(/"b1" matches 2 tasks, by the end of its id or by its name/);
  });

  it("a name two tasks share lists both", () => {
    const twins = [...index, { lease: "l", id: "0mx7aaaaaazzz", name: "train" }];
    expect(() => resolveTaskRef(twins, "train")).toThrow('2 tasks are named "train"');
  });
});

describe("resolveTaskRef against a lease's records", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
    const a = leasePaths(home.root, "a");
    const b = leasePaths(home.root, "b");
    ensureLeaseDirs(a);
    ensureLeaseDirs(b);
    const task = (lease: string, id: string) => makeTask({ lease, id });
    writeRecordAtomic(a.tmp, recordFile(a.done, "000000001aaxy"), makeDone(task("a", "000000001aaxy")));
    mkdirSync(join(a.claimed, "runner-1"));
    writeRecordAtomic(a.tmp, join(a.claimed, "runner-1", "000000002bbxy.json"), task("a", "000000002bbxy"));
    writeRecordAtomic(b.tmp, recordFile(b.inbox, "000000003cczz"), task("b", "000000003cczz"));
  });
  afterEach(() => home.cleanup());
  const resolve = (ref: string) => {
    const referable = referableTasks(home.root, ["a", "b"], [ref]);
    return resolveTaskRef(referable.tasks, ref, referable.total);
  };

  it("finds a task by full id, unique suffix, or number counting back from the newest, across leases", () => {
    expect(resolve("000000001aaxy")).toEqual({ lease: "a", id: "000000001aaxy" });
    expect(resolve("bbxy")).toEqual({ lease: "a", id: "000000002bbxy" });
    expect(resolve("1")).toEqual({ lease: "b", id: "000000003cczz" });
    expect(resolve("3")).toEqual({ lease: "a", id: "000000001aaxy" });
  });

  it("refuses an ambiguous suffix and lists candidates, and says when nothing matches", () => {
    expect(() => resolve("xy")).toThrow(/"xy" matches 2 tasks/);
    expect(() => resolve("nope")).toThrow(/no task matches "nope"/);
    expect(() => resolve("4")).toThrow(/no task number 4: only 3 tasks exist/);
    expect(() => resolveTaskRef([], "1")).toThrow(/no task number 1: there are no tasks yet/);
  });

  it("numbers and full ids need no names: only the newest and the ids named are read", () => {
    const referable = referableTasks(home.root, ["a", "b"], ["1", "000000001aaxy"]);
    expect(referable).toEqual({
      tasks: [
        { lease: "a", id: "000000001aaxy" },
        { lease: "b", id: "000000003cczz" },
      ],
      total: 3,
    });
  });
});

describe("a reference resolved across two places as if they were one", () => {
  // Ids sort by submit time wherever they were made: here the laptop's and the cluster's tasks interleave.
  const laptop: TaskRef[] = ["0001aa", "0003cc", "0005ee"].map((id) => ({ lease: "local", id }));
  const cluster: TaskRef[] = ["0002bb", "0004dd", "0006xe"].map((id) => ({ lease: "sweep", id }));
  const across = (ref: string) => {
    const mine = candidatesFor({ tasks: cluster, total: cluster.length }, ref);
    const theirs = candidatesFor({ tasks: laptop, total: laptop.length }, ref);
    const merged = [...mine.tasks, ...theirs.tasks].sort((a, b) => a.id.localeCompare(b.id));
    return resolveTaskRef(merged, ref, mine.total + theirs.total);
  };

  it.each([
    ["1", "0006xe"],
    ["2", "0005ee"],
    ["6", "0001aa"],
    ["dd", "0004dd"],
    ["0003cc", "0003cc"],
  ])("%s means %s, whichever place holds it", (ref, id) => {
    expect(across(ref).id).toBe(id);
  });

  it("a suffix two places share is ambiguous; a number beyond both says how many there are", () => {
    expect(() => across("e")).toThrow(/"e" matches 2 tasks/);
    expect(() => across("7")).toThrow(/no task number 7: only 6 tasks exist/);
  });

  it("candidates are the newest N for a number and every suffix match, never the whole history", () => {
    const all = { tasks: laptop, total: laptop.length };
    expect(candidatesFor(all, "2").tasks.map((t) => t.id)).toEqual(["0003cc", "0005ee"]);
    expect(candidatesFor(all, "ee")).toEqual({ tasks: [{ lease: "local", id: "0005ee" }], total: 3 });
  });
});

describe("resolveSelection", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
    writeLease(home.root, newLocalLease("sweep", "host", new Date(), {}));
    writeFileSync(join(leasePaths(home.root, "sweep").done, "0002bb.json"), "{}");
  });
  afterEach(() => home.cleanup());
  const noBad = () => {
    throw new Error("no lease record here is bad");
  };

  it("keeps what this place holds and hands back what the other place's candidates win", () => {
    const elsewhere = [{ tasks: [{ lease: "local", id: "0003cc" }], total: 1 }];
    const newest = resolveSelection(home.root, { refs: ["1"], lease: null, all: false, tags: [], elsewhere }, noBad);
    expect(newest).toEqual({ here: [], elsewhere: [{ lease: "local", id: "0003cc" }] });
    const older = resolveSelection(home.root, { refs: ["2"], lease: null, all: false, tags: [], elsewhere }, noBad);
    expect(older).toEqual({ here: [{ lease: "sweep", id: "0002bb" }], elsewhere: [] });
  });
});

describe("keepNewest: the default task list without sorting the history", () => {
  it("keeps the newest few of ids seen in any order, oldest first, as a sort of all would", () => {
    const ids = Array.from({ length: 500 }, (_, i) => `0mx7${(i * 7919) % 100_003}`.padEnd(13, "a"));
    const newest: TaskRef[] = [];
    for (const id of ids) keepNewest(newest, { lease: "l", id }, 20);
    expect(newest.map((r) => r.id)).toEqual([...ids].sort().slice(-20));
  });

  it("keeps nothing when asked for none, and all when there are fewer", () => {
    const none: TaskRef[] = [];
    keepNewest(none, { lease: "l", id: "b" }, 0);
    expect(none).toEqual([]);
    const few: TaskRef[] = [];
    for (const id of ["c", "a", "b"]) keepNewest(few, { lease: "l", id }, 5);
    expect(few.map((r) => r.id)).toEqual(["a", "b", "c"]);
  });
});
