import { describe, expect, it } from "vitest";
import { type Control, PROTOCOL_VERSION } from "../../src/fsqueue/index.ts";
import { controlActions } from "../../src/runner/controls.ts";
import { taskEnv } from "../../src/runner/execute.ts";
import { verdictFor } from "../../src/runner/outcome.ts";
import { observeListing } from "../../src/runner/recovery.ts";
import { nextPollDelay } from "../../src/runner/wake.ts";
import { makeTask } from "./factory.ts";

function control(target: string, verb: Control["verb"], byAttempt?: number): Control {
  const requestedAt = new Date().toISOString();
  return { v: PROTOCOL_VERSION, target, verb, requestedAt, requestedBy: "test", ...(byAttempt && { byAttempt }) };
}

describe("controlActions", () => {
  const facts = {
    segment: "3",
    attemptHere: (id: string) => (id === "here" ? 2 : undefined),
    isDone: (id: string) => id === "done",
  };
  it.each([
    { name: "the end of this runner's segment", control: control("segment-3", "end"), want: [{ kind: "segment-end" }] },
    { name: "the end of another segment is not ours", control: control("segment-2", "end"), want: [] },
    {
      name: "the next segment took over from this one",
      control: control("segment-3", "drain"),
      want: [{ kind: "handover" }],
    },
    { name: "another segment's take-over is not ours", control: control("segment-2", "drain"), want: [] },
    { name: "lease.drain", control: control("lease", "drain"), want: [{ kind: "drain" }] },
    { name: "lease.stop", control: control("lease", "stop"), want: [{ kind: "stop" }] },
    {
      name: "cancel of a task running here",
      control: control("here", "cancel"),
      want: [{ kind: "cancel", task: "here" }],
    },
    {
      name: "cancel of a finished task is discarded",
      control: control("done", "cancel"),
      want: [{ kind: "discard", task: "done", verb: "cancel" }],
    },
    { name: "cancel of a task elsewhere is not ours", control: control("elsewhere", "cancel"), want: [] },
    {
      name: "requeue of a task running here",
      control: control("here", "requeue"),
      want: [{ kind: "requeue", task: "here" }],
    },
    {
      name: "requeue of a finished task is discarded",
      control: control("done", "requeue"),
      want: [{ kind: "discard", task: "done", verb: "requeue" }],
    },
    {
      name: "the running attempt's own requeue (scontrol requeue)",
      control: control("here", "requeue", 2),
      want: [{ kind: "task-requeue", task: "here" }],
    },
    {
      name: "an earlier attempt's own requeue does not stop the running one, and stays until the task ends",
      control: control("here", "requeue", 1),
      want: [],
    },
    {
      name: "a task's own requeue, once the task has finished, is discarded",
      control: control("done", "requeue", 2),
      want: [{ kind: "discard", task: "done", verb: "requeue" }],
    },
    { name: "lease.cancel means nothing", control: control("lease", "cancel"), want: [] },
  ])("$name", ({ control: c, want }) => {
    expect(controlActions([c], facts)).toEqual(want);
  });
});

describe("verdictFor", () => {
  it.each([
    {
      end: { kind: "exited", exitCode: 0, signal: null },
      cancelled: false,
      want: { state: "succeeded", exitCode: 0, signal: null },
    },
    {
      end: { kind: "exited", exitCode: 2, signal: null },
      cancelled: false,
      want: { state: "failed", exitCode: 2, reason: "exit code 2" },
    },
    {
      end: { kind: "exited", exitCode: null, signal: "SIGSEGV" },
      cancelled: false,
      want: { state: "failed", signal: "SIGSEGV", reason: "killed by SIGSEGV" },
    },
    {
      end: { kind: "exited", exitCode: null, signal: "SIGTERM" },
      cancelled: true,
      want: { state: "cancelled", reason: "cancelled by user" },
    },
    {
      end: { kind: "spawn-failed", reason: "x: command not found", exitCode: 127 },
      cancelled: true,
      want: { state: "failed", exitCode: 127, reason: "x: command not found" },
    },
  ] as const)("$end.kind $end.exitCode $end.signal cancelled=$cancelled", ({ end, cancelled, want }) => {
    expect(verdictFor(end, cancelled)).toMatchObject(want);
  });
});

describe("observeListing (claim dirs without heartbeat, by our clock)", () => {
  it("keeps the first time it saw a listing until the listing changes", () => {
    const first = observeListing(undefined, "a.json", 1000);
    expect(observeListing(first, "a.json", 5000)).toEqual({ signature: "a.json", seenAtMs: 1000 });
    expect(observeListing(first, "a.json\nb.json", 5000)).toEqual({ signature: "a.json\nb.json", seenAtMs: 5000 });
  });
});

describe("nextPollDelay", () => {
  it("backs off from 50 ms to 1 s while idle and snaps back when work appears", () => {
    const delays = [50];
    for (let i = 0; i < 6; i++) delays.push(nextPollDelay(delays.at(-1) as number, false));
    expect(delays).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
    expect(nextPollDelay(1000, true)).toBe(50);
  });
});

describe("taskEnv", () => {
  const base = { PATH: "/bin", RV_RESUME: "1" };
  it("RV_RESUME=1 only for an attempt that follows a segment-end interruption, never inherited", () => {
    const task = makeTask("L", { attempt: 2, env: { RV_RESUME: "1" } });
    expect(taskEnv(base, task, [])).not.toHaveProperty("RV_RESUME");
    expect(taskEnv(base, { ...task, resume: true }, [])).toMatchObject({ RV_RESUME: "1", RV_ATTEMPT: "2" });
  });
});
