import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config/index.ts";
import {
  EventLog,
  finishClaim,
  type LeasePaths,
  publishTask,
  type RvEvent,
  recordFile,
  writeHeartbeat,
} from "../../src/fsqueue/index.ts";
import { newLocalLease, writeLease } from "../../src/lease/store.ts";
import { fewerSteps, GPU_STEPS_MAX, gpuSteps } from "../../src/ops/gpu-steps.ts";
import { type LeaseGpus, leaseGpusOp, readAttemptSpans } from "../../src/ops/lease-gpus.ts";
import { opEnv } from "../../src/ops/places.ts";
import { gpuHistory, heldGpus, heldSpans } from "../../src/web/page/gpu-history.ts";
import { LEASE, makeHeartbeat, makeOutcome, makeTask, openLease } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";
import { makeSegmentView, makeSlurmLease } from "../helpers/slurm-lease.ts";

// A lease's GPUs over its last day, as its page charts them: busy from its tasks' attempts, held from what it held.
const T0 = 1_700_000_000; // in the past: a log written now is read since then
const iso = (epoch: number) => new Date(epoch * 1000).toISOString();
const at = (offsets: number[]) => offsets.map((s) => T0 + s);

describe("GPUs as steps", () => {
  test("spans add up, each clipped to the window; one still running lasts until now", () => {
    const steps = gpuSteps(
      [
        { from: T0 - 100, to: T0 + 50, gpus: 2 }, // began before the window
        { from: T0 + 30, to: T0 + 80, gpus: 1 },
        { from: T0 + 60, to: null, gpus: 4 },
        { from: T0 + 10, to: T0 + 10, gpus: 3 }, // no time at all
        { from: T0 + 70, to: T0 + 90, gpus: 0 },
      ],
      { since: T0, until: T0 + 100 },
    );
    expect(steps).toEqual({ times: at([0, 30, 50, 60, 80, 100]), values: [2, 3, 1, 5, 4, 4] });
  });

  test("a day of 43,200 one-second tasks is GPU_STEPS_MAX stretches from whole seconds, each busy half the time", () => {
    const spans = Array.from({ length: 43_200 }, (_, i) => ({ from: T0 + 2 * i, to: T0 + 2 * i + 1, gpus: 1 }));
    const steps = fewerSteps(gpuSteps(spans, { since: T0, until: T0 + 86_400 }));
    expect(steps.times).toHaveLength(GPU_STEPS_MAX + 1);
    expect(steps.times.slice(0, 4)).toEqual(at([0, 86, 173, 259])); // 86.4 s each
    expect(steps.times.every(Number.isInteger)).toBe(true);
    expect(steps.times.at(-1)).toBe(T0 + 86_400);
    expect(new Set(steps.values)).toEqual(new Set([0.5]));
    const few = gpuSteps(spans.slice(0, 3), { since: T0, until: T0 + 100 });
    expect(fewerSteps(few)).toBe(few);
  });
});

describe("the attempts of the tasks that ask for GPUs, from a lease's files", () => {
  let home: { root: string; cleanup: () => void };
  let p: LeasePaths;
  beforeEach(() => {
    home = makeHome();
    p = openLease(home.root);
  });
  afterEach(() => home.cleanup());

  /** Each runner's log, in its time order: [seconds after T0, type, task, attempt]. */
  function logs(byRunner: Record<string, [number, RvEvent["type"], string, number][]>): void {
    for (const [runner, events] of Object.entries(byRunner)) {
      const log = new EventLog(p, runner);
      for (const [offset, type, task, attempt] of events)
        log.append({ type, task, attempt }, new Date((T0 + offset) * 1000));
      log.close();
    }
  }
  const task = (id: string, gpus: number, state: "running" | "succeeded" | "pending" | "lost", attempt = 1) => ({
    id,
    gpus,
    state,
    attempt,
    startedAt: iso(T0 - 500),
  });

  test("from their starts to their ends: requeued, recovered, ended twice, their runner dead", () => {
    logs({
      r1: [
        [-100, "started", "e", 1], // before the window: e counts from its start
        [5, "started", "cpu", 1], // no GPU: not counted
        [6, "finished", "cpu", 1],
        [10, "started", "a", 1],
        [20, "finished", "e", 1],
        [30, "requeued", "a", 1], // a segment's end: attempt 1 held its GPUs until then
      ],
      r2: [
        [40, "started", "a", 2],
        [50, "recovered", "d", 2], // r3 died; r2 gave d back to the inbox
        [60, "finished", "a", 2],
        [62, "finished", "a", 2], // once more: counted once, not from the window's start
        [80, "started", "g", 1],
      ],
      r3: [[15, "started", "d", 1]],
      r4: [[65, "started", "f", 1]], // died, never recovered: its heartbeat says when it was last heard of
      r5: [
        [85, "started", "h", 1], // died too, its heartbeat gone: its last event is when
        [88, "started", "cpu2", 1],
      ],
    });
    writeHeartbeat(p, makeHeartbeat({ runner: "r4", time: iso(T0 + 75) }));
    const tasks = [
      task("a", 2, "succeeded", 2),
      task("b", 1, "running"), // running since before the events read: from its start
      task("cpu", 0, "succeeded"),
      task("cpu2", 0, "succeeded"),
      task("d", 1, "pending", 2),
      task("e", 1, "succeeded"),
      task("f", 1, "lost"),
      task("g", 3, "running"),
      task("h", 1, "lost"),
    ];
    const spans = readAttemptSpans(p, tasks, T0);
    expect(spans.sort((x, y) => x.from - y.from || x.gpus - y.gpus)).toEqual([
      { from: T0 - 500, to: null, gpus: 1 },
      { from: T0, to: T0 + 20, gpus: 1 },
      { from: T0 + 10, to: T0 + 30, gpus: 2 },
      { from: T0 + 15, to: T0 + 50, gpus: 1 },
      { from: T0 + 40, to: T0 + 60, gpus: 2 },
      { from: T0 + 65, to: T0 + 75, gpus: 1 },
      { from: T0 + 80, to: null, gpus: 3 },
      { from: T0 + 85, to: T0 + 88, gpus: 1 },
    ]);
  });
});

describe("what a lease held, and its history on one axis", () => {
  const busy: LeaseGpus = {
    since: T0 - 100,
    until: T0 + 1000,
    busy: { times: at([-100, 100, 700, 1000]), values: [0, 3, 1, 1] },
    lastChange: T0 + 650, // averaged: the last step's start is its stretch's, not the change's
  };
  const noRunners = { gpus: { total: 0, busy: 0, free: 0 }, runners: [] };

  /** Submitted a minute before T0: what a segment held comes from its run alone. */
  const segment = (n: number, job: { start?: number; end?: number; state: "PENDING" | "RUNNING" | "COMPLETED" }) =>
    makeSegmentView(n, T0 - 60, job);

  test("a Slurm lease held each segment's GPUs while it ran: the renewal's gap held none", () => {
    const show = {
      lease: makeSlurmLease({ id: "gpu4", request: { gpusPerNode: 2, nodes: 2 } }),
      summary: noRunners,
      slurm: {
        segments: [
          segment(0, { start: T0, end: T0 + 600, state: "COMPLETED" }),
          segment(1, { start: T0 + 660, state: "RUNNING" }),
          segment(2, { state: "PENDING" }),
        ],
      },
    };
    expect(heldSpans(show, busy)).toEqual([
      { from: T0, to: T0 + 600, gpus: 4 },
      { from: T0 + 660, to: null, gpus: 4 },
    ]);
    expect(gpuHistory(show, busy)).toEqual({
      since: T0 - 100,
      times: at([-100, 0, 100, 600, 660, 700, 1000]),
      busy: [0, 0, 3, 3, 3, 1, 1],
      held: [0, 4, 4, 0, 4, 4, 4],
    });
  });

  test("the GPUs a lease holds while it holds any, from what it is: a Slurm lease still queued holds GPUs too", () => {
    const runner = (gpus: number) => ({ gpus: Array.from({ length: gpus }, (_, i) => String(i)) });
    const queued = makeSlurmLease({ id: "gpu4", request: { gpusPerNode: 2, nodes: 2 } });
    expect(
      heldGpus({ lease: queued, summary: noRunners, slurm: { segments: [segment(0, { state: "PENDING" })] } }),
    ).toBe(4);
    const cpus = makeSlurmLease({ id: "cpu", request: { gpusPerNode: 0, nodes: 2 } });
    expect(heldGpus({ lease: cpus, summary: noRunners, slurm: null })).toBe(0);
    const box = newLocalLease("box", "laptop", new Date(T0 * 1000), { gpuIds: ["0", "1"] });
    expect(heldGpus({ lease: box, summary: noRunners, slurm: null })).toBe(2);
    // A lease of this machine given none: those its runners found, gone or not.
    const found = newLocalLease("found", "laptop", new Date(T0 * 1000), {});
    const summary = (...gpus: number[]) => ({ runners: gpus.map(runner) }) as unknown as typeof noRunners;
    expect(heldGpus({ lease: found, summary: summary(8, 8), slurm: null })).toBe(8);
    expect(heldGpus({ lease: found, summary: summary(0), slurm: null })).toBe(0);
    expect(heldGpus({ lease: found, summary: noRunners, slurm: null })).toBe(0);
  });

  test("a lease of this machine held its GPUs since it began; released with no runner, until its tasks last changed", () => {
    const lease = newLocalLease("box", "laptop", new Date(T0 * 1000), { gpuIds: ["0", "1", "2", "3"] });
    expect(heldSpans({ lease, summary: noRunners, slurm: null }, busy)).toEqual([{ from: T0, to: null, gpus: 4 }]);
    const released = { ...lease, state: "released" as const };
    expect(heldSpans({ lease: released, summary: noRunners, slurm: null }, busy)).toEqual([
      { from: T0, to: T0 + 650, gpus: 4 },
    ]);
  });
});

describe("the lease-gpus op, on a lease's files", () => {
  let home: { root: string; cleanup: () => void };
  let p: LeasePaths;
  const now = Math.floor(Date.now() / 1000);
  beforeEach(() => {
    home = makeHome();
    p = openLease(home.root);
    writeLease(home.root, newLocalLease(LEASE, "laptop", new Date((now - 7200) * 1000), { gpuIds: ["0", "1", "2"] }));
  });
  afterEach(() => home.cleanup());
  /** The op as the lease's place runs it, its clock at `now`. */
  const lookBack = async (seconds: number) =>
    leaseGpusOp.run(
      { ...opEnv(home.root, loadConfig(home.root, {}), {}, home.root), now: () => new Date(now * 1000) },
      {
        lease: LEASE,
        seconds,
      },
    );

  test("busy GPUs from the runners' events and the tasks' records, from the lease's start at most", async () => {
    const a = makeTask({ gpus: 2 });
    const b = makeTask({ gpus: 1, attempt: 2 });
    const cpu = makeTask();
    for (const task of [a, b, cpu]) {
      publishTask(p, task);
      finishClaim(p, recordFile(p.inbox, task.id), task, makeOutcome());
    }
    const log = new EventLog(p, "r1");
    const append = (minutesAgo: number, type: RvEvent["type"], task: string, attempt = 1) =>
      log.append({ type, task, attempt }, new Date((now - minutesAgo * 60) * 1000));
    append(90, "started", a.id);
    append(80, "started", cpu.id);
    append(75, "finished", cpu.id);
    append(70, "started", b.id);
    append(65, "requeued", b.id);
    append(60, "finished", a.id);
    append(50, "started", b.id, 2);
    append(40, "finished", b.id, 2);
    log.close();
    const ago = (minutes: number) => now - minutes * 60;

    const day = await lookBack(86_400);
    expect(day.since).toBe(ago(120)); // the lease began two hours ago
    const steps = day.busy.times.slice(0, -1).map((time, i) => [Math.round((now - time) / 60), day.busy.values[i]]);
    expect(steps).toEqual([
      [120, 0],
      [90, 2],
      [70, 3],
      [65, 2],
      [60, 0],
      [50, 1],
      [40, 0],
    ]);
    expect(day.lastChange).toBe(ago(40));

    const hour = await lookBack(55 * 60);
    expect(hour.busy.times.slice(0, -1)).toEqual([ago(55), ago(50), ago(40)]);
    expect(hour.busy.values.slice(0, -1)).toEqual([0, 1, 0]);
  });

  test("more changes than GPU_STEPS_MAX: averaged, and when they last changed to the second", async () => {
    const task = makeTask({ gpus: 1, attempt: 501 });
    publishTask(p, task);
    finishClaim(p, recordFile(p.inbox, task.id), task, makeOutcome());
    const log = new EventLog(p, "r1");
    // 501 attempts of 7 s each, one every 11 s, the last ended 333 s ago: 1,002 changes.
    const lastEnd = now - 333;
    for (let n = 1; n <= 501; n++) {
      const start = lastEnd - 7 - (501 - n) * 11;
      log.append({ type: "started", task: task.id, attempt: n }, new Date(start * 1000));
      log.append({ type: "requeued", task: task.id, attempt: n }, new Date((start + 7) * 1000));
    }
    log.close();
    const day = await lookBack(86_400);
    expect(day.busy.times).toHaveLength(GPU_STEPS_MAX + 1);
    expect(day.busy.times.at(-2)).not.toBe(lastEnd);
    expect(day.lastChange).toBe(lastEnd);
  });
});
