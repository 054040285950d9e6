import { afterEach, beforeEach, expect, test } from "vitest";
import { type LeasePaths, recordFile, writeRecordAtomic } from "../../src/fsqueue/index.ts";
import { readLeaseState, readTaskView } from "../../src/lease/index.ts";
import { makeDone, makeTask, openLease, publish } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";

let home: ReturnType<typeof makeHome>;
let p: LeasePaths;
const observer = { host: "laptop", nowMs: Date.now(), staleAfterMs: 30_000, pidAlive: () => false };

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

test("a chain is judged as a whole: C after B after a failed A is dep_failed before any runner records B", () => {
  const a = makeTask({ name: "a" });
  const b = makeTask({ name: "b", after: [a.id] });
  const c = makeTask({ name: "c", after: [b.id] });
  const d = makeTask({ name: "d", after: [c.id] });
  writeRecordAtomic(p.tmp, recordFile(p.done, a.id), makeDone(a, { state: "failed", exitCode: 1 }));
  for (const task of [b, c, d]) publish(p, task);
  const states = readLeaseState(p, observer).tasks.map((t) => [t.name, t.state, t.reason]);
  expect(states).toEqual([
    ["a", "failed", null],
    ["b", "dep_failed", `dependency a (${a.id}) failed`],
    ["c", "dep_failed", `dependency b (${b.id}) failed`],
    ["d", "dep_failed", `dependency c (${c.id}) failed`],
  ]);
  // One task read alone says the same of its own dependency once that one is recorded; until then it waits.
  expect(readTaskView(p, b.id, observer)?.state).toBe("dep_failed");
});

test("a loop in hand-written records waits rather than recursing for ever", () => {
  const a = makeTask({ name: "a" });
  const b = makeTask({ name: "b", after: [a.id] });
  publish(p, { ...a, after: [b.id] });
  publish(p, b);
  expect(readLeaseState(p, observer).tasks.map((t) => t.state)).toEqual(["blocked", "blocked"]);
});
