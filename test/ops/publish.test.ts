import { expect, test } from "vitest";
import { withNewId } from "../../src/ops/publish.ts";
import { makeTask } from "../fsqueue/factory.ts";

test("a task whose id was taken draws another at its time (its place in line); the tasks after it that wait for it name the new id", () => {
  const taken = makeTask({ name: "prep" });
  const other = makeTask({ name: "other" });
  const train = makeTask({ name: "train", after: [other.id, taken.id] });
  const [prep, ...rest] = withNewId([taken, train, other]);
  expect(prep?.id).not.toBe(taken.id);
  expect(prep?.id.slice(0, 9)).toBe(taken.id.slice(0, 9));
  expect(prep).toEqual({ ...taken, id: prep?.id });
  expect(rest).toEqual([{ ...train, after: [other.id, prep?.id] }, other]);
});
