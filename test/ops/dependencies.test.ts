import { describe, expect, it } from "vitest";
import { matchReference, resolveDependencies } from "../../src/ops/dependencies.ts";

const existing = [
  { id: "0a001", name: "prep-1", tags: ["data"] },
  { id: "0a002", name: "prep-2", tags: ["data"] },
  { id: "0a003", name: "train", tags: [] },
];

describe("matchReference (--after REF)", () => {
  it.each([
    ["an exact id", "0a002", ["0a002"]],
    ["a name", "train", ["0a003"]],
    ["a tag: every task that has it", "data", ["0a001", "0a002"]],
    ["a wildcard over names", "prep-*", ["0a001", "0a002"]],
    ["? matches one character", "prep-?", ["0a001", "0a002"]],
    ["a number counts back from the newest", "1", ["0a003"]],
    ["a unique id suffix", "003", ["0a003"]],
    ["a wildcard that matches nothing", "eval-*", []],
    ["an unknown word", "nothing", []],
  ])("%s", (_what, ref, want) => {
    expect(matchReference(existing, [], ref)).toEqual(want);
  });

  it("a wildcard's dot and brackets are literal", () => {
    expect(matchReference([{ id: "x1", name: "a.b[1]", tags: [] }], [], "a.b[1]*")).toEqual(["x1"]);
    expect(matchReference([{ id: "x1", name: "axb", tags: [] }], [], "a.b*")).toEqual([]);
  });

  it("an ambiguous id suffix is refused with the candidates", () => {
    const twins = [
      { id: "0xa1", tags: [] },
      { id: "0ya1", tags: [] },
    ];
    expect(() => matchReference(twins, [], "a1")).toThrow(/matches 2 task ids/);
  });

  it("numbers and suffixes name only tasks already in the lease, never the batch being submitted", () => {
    expect(matchReference([], [{ id: "0b001", tags: [] }], "1")).toEqual([]);
    expect(matchReference([], [{ id: "0b001", name: "mine", tags: [] }], "mine")).toEqual(["0b001"]);
  });
});

describe("resolveDependencies", () => {
  it("gives each new task its dependencies as ids, without repeats", () => {
    const { after } = resolveDependencies(existing, [{ id: "0c001", tags: [], after: ["prep-*", "prep-1"] }], "L");
    expect(after.get("0c001")).toEqual(["0a001", "0a002"]);
  });

  it("publishes dependencies of the batch before the tasks that wait for them", () => {
    const batch = [
      { id: "0c001", name: "eval", tags: [], after: ["train-new"] },
      { id: "0c002", name: "train-new", tags: [], after: ["prep-*"] },
    ];
    expect(resolveDependencies(existing, batch, "L").order).toEqual(["0c002", "0c001"]);
  });

  it("refuses a reference that names nothing, naming the lease", () => {
    expect(() => resolveDependencies(existing, [{ id: "0c001", tags: [], after: ["prep"] }], "L")).toThrow(
      "--after prep: no task of lease L has this id, name or tag",
    );
  });

  it("refuses a task after itself (its own tag) and a loop of two, showing the loop", () => {
    expect(() => resolveDependencies([], [{ id: "0c001", name: "self", tags: ["exp"], after: ["exp"] }], "L")).toThrow(
      "--after makes a loop: self -> self",
    );
    const loop = [
      { id: "0c001", name: "a", tags: [], after: ["b"] },
      { id: "0c002", name: "b", tags: [], after: ["a"] },
    ];
    expect(() => resolveDependencies([], loop, "L")).toThrow("--after makes a loop: a -> b -> a");
  });

  it("a plain name two tasks share is refused; a tag or a wildcard takes them all", () => {
    const twice = [...existing, { id: "0a004", name: "train", tags: [] }];
    expect(() => matchReference(twice, [], "train")).toThrow("--after train: 2 tasks are named so");
    expect(matchReference(twice, [], "trai*")).toEqual(["0a003", "0a004"]);
  });

  it("a comma separates references, unless the whole names a task (a sweep point's name)", () => {
    const point = [...existing, { id: "0a005", name: "lr=1e-3,seed=1", tags: [] }];
    const batch = [{ id: "0c001", tags: [], after: ["lr=1e-3,seed=1", "train,prep-1"] }];
    expect(resolveDependencies(point, batch, "L").after.get("0c001")).toEqual(["0a005", "0a003", "0a001"]);
    expect(() => resolveDependencies(point, [{ id: "0c002", tags: [], after: ["train,nope"] }], "L")).toThrow(
      "--after nope: no task",
    );
  });
});
