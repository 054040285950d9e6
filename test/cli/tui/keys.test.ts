import { describe, expect, test } from "vitest";
import { type Key, keysOf, reduceKey } from "../../../src/cli/tui/keys.ts";
import { INITIAL_STATE, isStuck, selectedTask, type TuiState, visibleTasks } from "../../../src/cli/tui/state.ts";
import type { RunnerView, TaskView } from "../../../src/lease/index.ts";
import type { TuiLease, TuiSnapshot } from "../../../src/ops/tui-snapshot.ts";
import { task as fixtureTask } from "./fixtures.ts";

const runner = (id: string, health: RunnerView["health"]): RunnerView => ({
  id,
  host: "node1",
  pid: 1,
  health,
  heartbeatAgeMs: 1000,
  segment: "0",
  running: 1,
  gpus: ["0", "1"],
  freeGpus: ["1"],
  cpus: 4,
  freeCpus: 3,
});

const lease = (id: string, runners: RunnerView[], state: TuiLease["state"] = "active"): TuiLease => ({
  id,
  kind: "local",
  state,
  phase: null,
  phaseTone: null,
  timeLeftSeconds: null,
  renewalGapSeconds: null,
  parts: null,
  runners,
  gpus: { busy: 1, free: 1 },
  tooLarge: [],
  race: null,
});

let clock = 0;
const task = (id: string, state: TaskView["state"], change: Partial<TaskView> = {}): TaskView =>
  fixtureTask({
    id,
    state,
    lease: "sweep",
    name: `train-${id}`,
    submittedAt: new Date(Date.UTC(2026, 10, 23, 10, 0, clock++)).toISOString(),
    ...change,
  });

const snapshot: TuiSnapshot = {
  at: "2026-11-23T10:05:00.000Z",
  leases: [lease("sweep", [runner("r-ok", "ok"), runner("r-stale", "stale")]), lease("old", [], "released")],
  tasks: [
    task("t1", "succeeded"),
    task("t2", "failed"),
    task("t3", "running", { runner: "r-ok" }),
    task("t4", "running", { runner: "r-stale" }),
    task("t5", "lost", { runner: "r-gone" }),
    task("t6", "pending", { name: "eval-lr3" }),
    task("t7", "pending", { lease: "old" }),
  ],
  logs: [],
};

const ids = (tasks: TaskView[]) => tasks.map((t) => t.id);
const key = (input: string, name?: Key["name"]): Key => (name ? { input, name } : { input });

function press(keys: Key[], from: TuiState = INITIAL_STATE) {
  let state = from;
  let effect = null;
  for (const k of keys) ({ state, effect } = reduceKey(state, k, snapshot));
  return { state, effect };
}

describe("what the task table shows", () => {
  test("newest first; a lost task and one running under a stale runner are stuck", () => {
    expect(ids(visibleTasks(snapshot, INITIAL_STATE))).toEqual(["t7", "t6", "t5", "t4", "t3", "t2", "t1"]);
    expect(snapshot.tasks.filter((t) => isStuck(t, snapshot)).map((t) => t.id)).toEqual(["t4", "t5"]);
  });

  test("a pending task larger than any runner of its lease is stuck too; one of another lease is not", () => {
    const [sweep, ...others] = snapshot.leases;
    if (!sweep) throw new Error("no lease");
    const told = { ...snapshot, leases: [{ ...sweep, tooLarge: ["t6", "t7"] }, ...others] };
    expect(told.tasks.filter((t) => isStuck(t, told)).map((t) => t.id)).toEqual(["t4", "t5", "t6"]);
  });

  test("F cycles the filters, each showing its own tasks", () => {
    const seen: Record<string, string[]> = {};
    let state = INITIAL_STATE;
    for (let i = 0; i < 7; i++) {
      seen[state.filter] = ids(visibleTasks(snapshot, state));
      state = reduceKey(state, key("F"), snapshot).state;
    }
    expect(state.filter).toBe("recent");
    expect(seen).toMatchObject({
      running: ["t4", "t3"],
      pending: ["t7", "t6"],
      done: ["t1"],
      failed: ["t2"],
      stuck: ["t5", "t4"],
    });
  });

  test("rv tui --tag shows only the tasks with every tag given; / also searches tags", () => {
    const tagged: TuiSnapshot = {
      ...snapshot,
      tasks: snapshot.tasks.map((t) => (t.id === "t6" || t.id === "t2" ? { ...t, tags: ["sw-1", t.id] } : t)),
    };
    expect(ids(visibleTasks(tagged, { ...INITIAL_STATE, filter: "all", tags: ["sw-1"] }))).toEqual(["t6", "t2"]);
    expect(ids(visibleTasks(tagged, { ...INITIAL_STATE, filter: "all", tags: ["sw-1", "t2"] }))).toEqual(["t2"]);
    expect(ids(visibleTasks(tagged, { ...INITIAL_STATE, filter: "all", search: "sw-1" }))).toEqual(["t6", "t2"]);
  });

  test("the pending filter shows blocked tasks too", () => {
    const blocked: TuiSnapshot = {
      ...snapshot,
      tasks: snapshot.tasks.map((t) => (t.id === "t6" ? { ...t, state: "blocked" as const } : t)),
    };
    expect(ids(visibleTasks(blocked, { ...INITIAL_STATE, filter: "pending" }))).toEqual(["t7", "t6"]);
  });

  test("/ searches names and ids as typed; Esc leaves the search as it was", () => {
    const { state } = press([key("/"), ...[..."lr3"].map((c) => key(c)), key("", "enter")]);
    expect(state.search).toBe("lr3");
    expect(ids(visibleTasks(snapshot, state))).toEqual(["t6"]);
    const typed = press([key("/"), key("x"), key("", "backspace"), key("t"), key("", "escape")], state);
    expect(typed.state).toMatchObject({ search: "lr3", mode: { kind: "browse" } });
  });

  test("a lease chosen in the lease pane narrows the tasks to it", () => {
    const { state } = press([key("h"), key("j"), key("j")]);
    expect(state).toMatchObject({ focus: "leases", leaseId: "old" });
    expect(ids(visibleTasks(snapshot, state))).toEqual(["t7"]);
  });
});

describe("keys", () => {
  test("j and k move the selection, which stays within the table", () => {
    expect(selectedTask(INITIAL_STATE, snapshot)?.id).toBe("t7");
    expect(press([key("j"), key("j")]).state.taskId).toBe("t5");
    expect(press([key("k"), key("", "up")]).state.taskId).toBe("t7");
    expect(press([key("", "pageDown")]).state.taskId).toBe("t1");
  });

  test("Enter opens the menu of what the task allows; cancel asks first and happens only on y", () => {
    const menu = press([key("j"), key("", "enter")]);
    expect(menu.state).toMatchObject({
      taskId: "t6",
      mode: { kind: "menu", task: { id: "t6" }, items: ["logs", "cancel"], index: 0 },
    });
    const asked = press([key("j"), key("", "enter"), key("j"), key("", "enter")]);
    expect(asked.state.mode).toMatchObject({ kind: "confirm", action: "cancel", task: { id: "t6" } });
    expect(asked.effect).toBeNull();
    const yes = reduceKey(asked.state, key("y"), snapshot);
    expect(yes.effect).toMatchObject({ kind: "act", action: "cancel", task: { id: "t6" } });
    const no = reduceKey(asked.state, key("n"), snapshot);
    expect(no).toMatchObject({ effect: null, state: { mode: { kind: "browse" }, message: "cancel of t6: not done" } });
  });

  test("a finished task's menu offers retry; a running one's cancel and requeue", () => {
    const last = press([key("", "pageDown"), key("", "enter")]);
    expect(last.state.mode).toMatchObject({ items: ["logs", "retry"] });
    const running = press([key("j"), key("j"), key("j"), key("", "enter")]);
    expect(running.state.mode).toMatchObject({ items: ["logs", "cancel", "requeue"] });
  });

  test("logs from the menu; f, e and z switch follow, stream and zoom; scrolling a zoomed log stops following", () => {
    const logs = press([key("", "enter"), key("", "enter")]);
    expect(logs.state).toMatchObject({ pane: "logs", follow: true, mode: { kind: "browse" } });
    const zoomed = press([key("e"), key("z"), key("k"), key("k")], logs.state);
    expect(zoomed.state).toMatchObject({ stream: "stderr", zoom: true, scroll: 2, follow: false });
    expect(press([key("j"), key("j")], zoomed.state).state).toMatchObject({ scroll: 0, follow: true });
    expect(press([key("", "escape")], zoomed.state).state).toMatchObject({ pane: "detail", zoom: false });
  });

  test("a adds to the only active lease; Enter submits what was typed", () => {
    const typed = press([key("a"), ...[..."echo hi"].map((c) => key(c)), key("", "enter")]);
    expect(typed.effect).toEqual({ kind: "add", lease: "sweep", command: "echo hi" });
    const released = press([key("h"), key("j"), key("j"), key("a")]);
    expect(released.state.message).toBe("choose the lease to add to first: h, then ↑↓");
  });

  test("? shows help until the next key; q quits, but types a q in a search", () => {
    expect(press([key("?")]).state.mode.kind).toBe("help");
    expect(press([key("?"), key("q")]).effect).toBeNull();
    expect(press([key("q")]).effect).toEqual({ kind: "quit" });
    expect(press([key("/"), key("q")]).state.mode).toEqual({ kind: "search", draft: "q" });
  });
});

describe("keysOf", () => {
  test("keys typed faster than a refresh arrive as one string and are split back, a carriage return being Enter", () => {
    expect(keysOf("jj\r", {})).toEqual([{ input: "j" }, { input: "j" }, { input: "", name: "enter" }]);
    expect(keysOf("", { upArrow: true })).toEqual([{ input: "", name: "up" }]);
    expect(keysOf("", { delete: true })).toEqual([{ input: "", name: "backspace" }]);
    expect(keysOf("a\x7f\x7f\u0001b", {})).toEqual([
      { input: "a" },
      { input: "", name: "backspace" },
      { input: "", name: "backspace" },
      { input: "b" },
    ]);
    expect(keysOf("q", { meta: true })).toEqual([{ input: "", name: "escape" }, { input: "q" }]);
  });
});
