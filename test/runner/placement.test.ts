import { describe, expect, it } from "vitest";
import { dependencyVerdict } from "../../src/fsqueue/index.ts";
import { canFinishInSegment, placeTasks, type QueuedTask, type SegmentClock } from "../../src/runner/index.ts";

/** `t("a", 2)` is task a wanting 2 GPUs and 1 CPU; `strict` marks a task that may not be passed. */
function t(key: string, gpus: number, cpus = 1, strictOrder = false): QueuedTask {
  return { key, gpus, cpus, strictOrder };
}
const strict = (task: QueuedTask): QueuedTask => ({ ...task, strictOrder: true });
const needs = (task: QueuedTask, timeRequestMs: number): QueuedTask => ({ ...task, timeRequestMs });
/** A runner that does not know when its segment ends (a local lease). */
const NO_END: SegmentClock = { now: 1_000_000, endsAt: undefined };

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
    const placement = placeTasks(queue, free, { gpus: 4, cpus: 8 }, NO_END);
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
    const placement = placeTasks(queue(), { gpus: [], cpus: 2 }, { gpus: 0, cpus: 2 }, NO_END);
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
    const placement = placeTasks(queue(), { gpus: ["0"], cpus: 4 }, { gpus: 4, cpus: 4 }, NO_END);
    expect(placement.assignments.map((a) => a.key)).toEqual(["a"]);
    expect(read).toBe(2);
  });
});

describe("canFinishInSegment", () => {
  const now = 1_000_000;
  it.each([
    { name: "no time request: always", request: undefined, endsAt: now + 1000, want: true },
    { name: "segment end unknown: always", request: 3_600_000, endsAt: undefined, want: true },
    { name: "ends exactly at the segment end", request: 60_000, endsAt: now + 60_000, want: true },
    { name: "one millisecond too long", request: 60_001, endsAt: now + 60_000, want: false },
    { name: "the segment has already ended", request: 1, endsAt: now - 5000, want: false },
  ])("$name", ({ request, endsAt, want }) => {
    expect(canFinishInSegment(request, { now, endsAt })).toBe(want);
  });
});

describe("placeTasks near the segment end", () => {
  const clock: SegmentClock = { now: 1_000_000, endsAt: 1_000_000 + 60_000 };
  const free = { gpus: ["0", "1"], cpus: 4 };
  const total = { gpus: 2, cpus: 4 };

  it("leaves a task that needs longer than the segment has in the inbox; tasks behind it start", () => {
    const placement = placeTasks([needs(t("a", 1), 120_000), t("b", 1), needs(t("c", 1), 30_000)], free, total, clock);
    expect(placement.assignments.map((a) => a.key)).toEqual(["b", "c"]);
    expect(placement.assignments[0]?.gpus).toEqual(["0"]);
    expect(placement.tooLongForSegment).toEqual(["a"]);
  });

  it("a strict-order task that must wait for the next segment holds the tasks behind it", () => {
    const placement = placeTasks([t("a", 0), strict(needs(t("b", 0), 120_000)), t("c", 0)], free, total, clock);
    expect(placement.assignments.map((a) => a.key)).toEqual(["a"]);
    expect(placement.tooLongForSegment).toEqual(["b"]);
  });

  it("without a known segment end, a time request changes nothing", () => {
    const placement = placeTasks([needs(t("a", 1), 3_600_000 * 48)], free, total, NO_END);
    expect(placement.assignments.map((a) => a.key)).toEqual(["a"]);
  });
});

describe("placeTasks with --max-running", () => {
  const capped = (key: string, group: string, max: number): QueuedTask => ({
    ...t(key, 0),
    maxRunning: { group, max },
  });
  const free = { gpus: [], cpus: 8 };
  const total = { gpus: 0, cpus: 8 };

  it("starts no more of a group than its cap, counting those running in the lease; others pass", () => {
    const queue = [capped("a", "sw", 2), capped("b", "sw", 2), capped("c", "sw", 2), t("d", 0), capped("e", "x", 1)];
    const keys = (running: number) =>
      placeTasks(queue, free, total, NO_END, { runningIn: (group) => (group === "sw" ? running : 0) }).assignments.map(
        (a) => a.key,
      );
    expect(keys(0)).toEqual(["a", "b", "d", "e"]);
    expect(keys(1)).toEqual(["a", "d", "e"]);
    expect(keys(2)).toEqual(["d", "e"]);
  });

  it("a capped task that asked for strict order holds the queue behind it", () => {
    const queue = [{ ...capped("a", "sw", 1), strictOrder: true }, t("b", 0)];
    expect(placeTasks(queue, free, total, NO_END, { runningIn: () => 1 }).assignments).toEqual([]);
  });
});

describe("placeTasks with a retry's backoff", () => {
  it("a task waiting out its backoff is passed by the tasks behind it, unless it asked for strict order", () => {
    const later = { ...t("a", 0), notBefore: NO_END.now + 5000 };
    const keys = (queue: QueuedTask[], now = NO_END.now) =>
      placeTasks(queue, { gpus: [], cpus: 4 }, { gpus: 0, cpus: 4 }, { now, endsAt: undefined }).assignments.map(
        (a) => a.key,
      );
    expect(keys([later, t("b", 0)])).toEqual(["b"]);
    expect(keys([{ ...later, strictOrder: true }, t("b", 0)])).toEqual([]);
    expect(keys([later, t("b", 0)], NO_END.now + 5000)).toEqual(["a", "b"]);
  });
});

describe("placeTasks with dependencies (--after)", () => {
  const waitsFor = (task: QueuedTask, ...deps: string[]): QueuedTask => ({ ...task, after: deps });
  const ended: Record<string, "succeeded" | "failed" | "cancelled"> = { ok: "succeeded", bad: "failed" };
  const lease = { dependencies: (deps: readonly string[]) => dependencyVerdict(deps, (id) => ended[id]) };
  const free = { gpus: ["0"], cpus: 4 };
  const total = { gpus: 1, cpus: 4 };

  it("a blocked task holds no GPU: the task behind it takes the free one", () => {
    const placement = placeTasks([waitsFor(t("a", 1), "ok", "running"), t("b", 1)], free, total, NO_END, lease);
    expect(placement.assignments.map((a) => a.key)).toEqual(["b"]);
    expect(placement.depFailed).toEqual([]);
  });

  it("a task whose dependencies all succeeded is placed like any other", () => {
    expect(placeTasks([waitsFor(t("a", 1), "ok")], free, total, NO_END, lease).assignments.map((a) => a.key)).toEqual([
      "a",
    ]);
  });

  it("a failed dependency decides at once, even with others still running: the task is handed back as dep_failed", () => {
    const placement = placeTasks([waitsFor(t("a", 1), "running", "bad"), t("b", 1)], free, total, NO_END, lease);
    expect(placement.depFailed).toEqual([{ key: "a", dep: "bad", state: "failed" }]);
    expect(placement.assignments.map((a) => a.key)).toEqual(["b"]);
  });

  it("a blocked task with --strict-order holds the line behind it", () => {
    const placement = placeTasks([strict(waitsFor(t("a", 0), "running")), t("b", 0)], free, total, NO_END, lease);
    expect(placement.assignments).toEqual([]);
  });
});
