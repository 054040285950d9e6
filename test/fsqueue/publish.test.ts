import { readFileSync } from "node:fs";
import { afterEach, beforeEach, expect, test } from "vitest";
import { newTaskIds, publishTask, recordFile, TaskSchema } from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { makeTask, openLease } from "./factory.ts";

let home: ReturnType<typeof makeHome>;
beforeEach(() => {
  home = makeHome();
});
afterEach(() => home.cleanup());

test("invariant 1: publish never replaces a task already in the inbox (an id drawn twice loses nothing)", () => {
  const p = openLease(home.root);
  const first = makeTask({ name: "first" });
  expect(publishTask(p, first)).toBe("published");
  expect(publishTask(p, { ...first, name: "second" })).toBe("exists");
  const kept = TaskSchema.parse(JSON.parse(readFileSync(recordFile(p.inbox, first.id), "utf8")));
  expect(kept.name).toBe("first");
});

test("a batch of ids is unique and sorts in submission order, even within one millisecond", () => {
  const ids = newTaskIds(5000, Date.parse("2026-01-01T00:00:00Z"));
  expect(new Set(ids).size).toBe(5000);
  expect([...ids].sort()).toEqual(ids);
});
