import { describe, expect, it } from "vitest";
import { placeTasks, type QueuedTask } from "../../src/runner/index.ts";

/** `t("a", 2)` is task a wanting 2 GPUs and 1 CPU; `strict` marks a task that may not be passed. */
function t(key: string, gpus: number, cpus = 1, strictOrder = false): QueuedTask {
  return { key, gpus, cpus, strictOrder };
}
const strict = (task: QueuedTask): QueuedTask => ({ ...task, strictOrder: true });

describe("placeTasks", () => {
  it.each([
    {
      name: "FIFO: takes tasks in key order while they fit",
      queue: [t("a", 1), t("b", 1), t("c", 1)],
      free: { gpus: ["0", "1"], cpus: 8 },
      want: [
        { key: "a", gpus: ["0"], cpus: 1 },
        { key: "b", gpus: ["1"], cpus: 1 },
      ],
      neverFits: [],
    },
    {
      name: "lowest free GPU ids first, numerically",
      queue: [t("a", 2)],
      free: { gpus: ["10", "3", "2"], cpus: 8 },
      want: [{ key: "a", gpus: ["2", "3"], cpus: 1 }],
      neverFits: [],
    },
    {
      name: "backfill: a 1-GPU task starts while a 4-GPU task waits",
      queue: [t("big", 4), t("small", 1)],
      free: { gpus: ["1", "2"], cpus: 8 },
      want: [{ key: "small", gpus: ["1"], cpus: 1 }],
      neverFits: [],
    },
    {
      name: "strict order: nothing passes a waiting strict task",
      queue: [strict(t("big", 4)), t("small", 1)],
      free: { gpus: ["1", "2"], cpus: 8 },
      want: [],
      neverFits: [],
    },
    {
      name: "a strict task that fits starts, and tasks behind it may still backfill",
      queue: [strict(t("a", 1)), t("b", 4), t("c", 1)],
      free: { gpus: ["0", "1"], cpus: 8 },
      want: [
        { key: "a", gpus: ["0"], cpus: 1 },
        { key: "c", gpus: ["1"], cpus: 1 },
      ],
      neverFits: [],
    },
    {
      name: "a task bigger than the runner is skipped, not blocking, even when strict",
      queue: [strict(t("huge", 8)), t("cpuhog", 0, 64), t("a", 1)],
      free: { gpus: ["0"], cpus: 4 },
      want: [{ key: "a", gpus: ["0"], cpus: 1 }],
      neverFits: ["huge", "cpuhog"],
    },
    {
      name: "CPUs limit CPU-only tasks",
      queue: [t("a", 0, 2), t("b", 0, 2), t("c", 0, 1)],
      free: { gpus: [], cpus: 3 },
      want: [
        { key: "a", gpus: [], cpus: 2 },
        { key: "c", gpus: [], cpus: 1 },
      ],
      neverFits: [],
    },
    {
      name: "nothing free: nothing placed",
      queue: [t("a", 0)],
      free: { gpus: [], cpus: 0 },
      want: [],
      neverFits: [],
    },
  ])("$name", ({ queue, free, want, neverFits }) => {
    const placement = placeTasks(queue, free, { gpus: 4, cpus: 8 });
    expect(placement.assignments).toEqual(want);
    expect(placement.neverFits).toEqual(neverFits);
  });

  it("stops reading the queue once every CPU is taken (the inbox may be long)", () => {
    let read = 0;
    function* queue() {
      for (let i = 0; i < 10_000; i++) {
        read++;
        yield t(`k${i}`, 0);
      }
    }
    const placement = placeTasks(queue(), { gpus: [], cpus: 2 }, { gpus: 0, cpus: 2 });
    expect(placement.assignments.map((a) => a.key)).toEqual(["k0", "k1"]);
    expect(read).toBe(2);
  });

  it("stops reading at a waiting strict task", () => {
    let read = 0;
    function* queue() {
      for (const task of [t("a", 0, 1), strict(t("b", 2)), t("c", 0), t("d", 0)]) {
        read++;
        yield task;
      }
    }
    const placement = placeTasks(queue(), { gpus: ["0"], cpus: 4 }, { gpus: 4, cpus: 4 });
    expect(placement.assignments.map((a) => a.key)).toEqual(["a"]);
    expect(read).toBe(2);
  });
});
