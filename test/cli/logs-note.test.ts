import { describe, expect, test } from "vitest";
import { otherStreamNote, taggedStreamNote } from "../../src/cli/commands/logs.ts";

const log = (over: Partial<Parameters<typeof otherStreamNote>[0]>) => ({
  id: "0mx1",
  state: "succeeded",
  stream: "stdout" as const,
  text: "epoch 1\n",
  otherBytes: 0,
  ...over,
});

describe("rv logs says where to look when the stream shown says nothing, or the task failed", () => {
  test("stdout empty, stderr not: the command that shows stderr", () => {
    expect(otherStreamNote(log({ text: "", otherBytes: 5 }), "rv logs bad")).toBe(
      "rv: task 0mx1 wrote nothing to stdout; its stderr has 5 bytes: rv logs bad --stderr\n",
    );
  });

  test("a failed task with output on both: its stderr may say why", () => {
    expect(otherStreamNote(log({ state: "failed", otherBytes: 2048 }), "rv logs crash --attempt 2")).toBe(
      "rv: task 0mx1 failed; its stderr has 2.0K: rv logs crash --attempt 2 --stderr\n",
    );
    expect(otherStreamNote(log({ state: "lost", text: null, otherBytes: 1 }), "rv logs x")).toBe(
      "rv: task 0mx1 lost; its stderr has 1 byte: rv logs x --stderr\n",
    );
  });

  test("stderr shown and empty: stdout is named; shown and not empty, nothing is said", () => {
    expect(otherStreamNote(log({ stream: "stderr", text: "", otherBytes: 9 }), "rv logs ok")).toBe(
      "rv: task 0mx1 wrote nothing to stderr; its stdout has 9 bytes: rv logs ok\n",
    );
    expect(otherStreamNote(log({ stream: "stderr", state: "failed", otherBytes: 9 }), "rv logs ok")).toBeUndefined();
  });

  test("nothing in the other stream, or a task that succeeded with output: no note", () => {
    expect(otherStreamNote(log({ text: "", otherBytes: 0 }), "rv logs a")).toBeUndefined();
    expect(otherStreamNote(log({ state: "failed", otherBytes: 0 }), "rv logs a")).toBeUndefined();
    expect(otherStreamNote(log({ otherBytes: 300 }), "rv logs a")).toBeUndefined();
    // Following: the text went out as it was written (null), so only a failure is said.
    expect(otherStreamNote(log({ text: null, otherBytes: 300 }), "rv logs a")).toBeUndefined();
  });
});

describe("rv logs --tag says it once, after the blocks, for every task whose other stream is where to look", () => {
  const named = (name: string, over: Partial<Parameters<typeof otherStreamNote>[0]>) => ({ ...log(over), name });

  test("the failed tasks with stderr, the first three named, and the command that shows their stderr", () => {
    const logs = [
      named("a=1", { state: "failed", otherBytes: 10 }),
      named("a=2", { otherBytes: 10 }),
      named("a=3", { state: "failed", otherBytes: 10 }),
      named("a=4", { text: "", otherBytes: 1 }),
      named("a=5", { state: "failed", otherBytes: 3 }),
      named("a=6", { state: "failed", otherBytes: 0 }),
    ];
    expect(taggedStreamNote(logs, "rv logs --tag sw-1")).toBe(
      "rv: 4 tasks failed or wrote nothing to stdout, and stderr has more (a=1, a=3, a=4 and 1 more): rv logs --tag sw-1 --stderr\n",
    );
  });

  test("one task, unnamed: its id; none to point at: no note", () => {
    expect(taggedStreamNote([{ ...log({ state: "lost", otherBytes: 1 }), name: null }], "rv logs --tag t -n 3")).toBe(
      "rv: 1 task failed or wrote nothing to stdout, and stderr has more (0mx1): rv logs --tag t -n 3 --stderr\n",
    );
    expect(taggedStreamNote([named("ok", { otherBytes: 50 })], "rv logs --tag t")).toBeUndefined();
  });
});
