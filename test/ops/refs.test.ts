import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ensureLeaseDirs, leasePaths } from "../../src/fsqueue/index.ts";
import { resolveTaskRef, taskIndex } from "../../src/ops/refs.ts";
import { makeHome } from "../helpers/home.ts";

describe("resolveTaskRef", () => {
  let home: ReturnType<typeof makeHome>;
  beforeEach(() => {
    home = makeHome();
    const a = leasePaths(home.root, "a");
    const b = leasePaths(home.root, "b");
    ensureLeaseDirs(a);
    ensureLeaseDirs(b);
    writeFileSync(join(a.done, "000000001aaxy.json"), "{}");
    mkdirSync(join(a.claimed, "runner-1"));
    writeFileSync(join(a.claimed, "runner-1", "000000002bbxy.json"), "{}");
    writeFileSync(join(b.inbox, "000000003cczz.json"), "{}");
  });
  afterEach(() => home.cleanup());

  it("finds a task by full id, unique suffix, or number counting back from the newest, across leases", () => {
    expect(resolveTaskRef(taskIndex(home.root, ["a", "b"]), "000000001aaxy")).toEqual({
      lease: "a",
      id: "000000001aaxy",
    });
    expect(resolveTaskRef(taskIndex(home.root, ["a", "b"]), "bbxy")).toEqual({ lease: "a", id: "000000002bbxy" });
    expect(resolveTaskRef(taskIndex(home.root, ["a", "b"]), "1")).toEqual({ lease: "b", id: "000000003cczz" });
    expect(resolveTaskRef(taskIndex(home.root, ["a", "b"]), "3")).toEqual({ lease: "a", id: "000000001aaxy" });
  });

  it("refuses an ambiguous suffix and lists candidates, and says when nothing matches", () => {
    expect(() => resolveTaskRef(taskIndex(home.root, ["a", "b"]), "xy")).toThrow(/"xy" matches 2 tasks/);
    expect(() => resolveTaskRef(taskIndex(home.root, ["a", "b"]), "nope")).toThrow(/no task matches "nope"/);
    expect(() => resolveTaskRef(taskIndex(home.root, ["a", "b"]), "4")).toThrow(/no task number 4: only 3 tasks exist/);
  });
});
