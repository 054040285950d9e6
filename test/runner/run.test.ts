import { readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { claimDir, publishTask, readHeartbeats } from "../../src/fsqueue/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask, shellTask } from "./factory.ts";
import { eventsOf, paths, taskLog, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "run";
const home = useRunnerHome();

describe("a task runs", () => {
  it("with its exit code, its output in its logs, and rv's environment", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE, { gpuIds: ["0", "1"], cpus: 2 });
    const task = shellTask(
      LEASE,
      'echo "hello out"; echo "hello err" >&2; env | grep -E "^(CUDA_|RV_|PYTHONUNBUFFERED|MY_VAR)" | sort; exit 3',
      { gpus: 1, env: { MY_VAR: "mine" } },
    );
    publishTask(p, task);

    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({ state: "failed", exitCode: 3, signal: null, gpus: ["0"], runner: expect.any(String) });
    expect(done.task.attempt).toBe(1);
    expect(done.startedAt).not.toBeNull();

    const out = taskLog(p, task.id, 1, "out");
    expect(out).toContain("hello out");
    expect(out).toContain("CUDA_VISIBLE_DEVICES=0\n");
    expect(out).toContain("CUDA_DEVICE_ORDER=PCI_BUS_ID\n");
    expect(out).toContain(`RV_TASK_ID=${task.id}\n`);
    expect(out).toContain(`RV_LEASE_ID=${LEASE}\n`);
    expect(out).toContain("RV_ATTEMPT=1\n");
    expect(out).toContain("PYTHONUNBUFFERED=1\n");
    expect(out).toContain("MY_VAR=mine\n");
    expect(taskLog(p, task.id, 1, "err")).toBe("hello err\n");
    expect(statSync(`${p.logs}/${task.id}/1.out`).mode & 0o777).toBe(0o600);
  });

  it("succeeds with exit 0; a task without GPUs sees an empty CUDA_VISIBLE_DEVICES; argv is passed as is", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE, { gpuIds: ["0"] });
    const task = makeTask(LEASE, {
      command: {
        kind: "argv",
        argv: ["bash", "-c", 'printf "[%s]" "$CUDA_VISIBLE_DEVICES" "$1"', "-", "two words; $HOME"],
      },
      env: { PYTHONUNBUFFERED: "0" },
    });
    publishTask(p, task);
    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({ state: "succeeded", exitCode: 0, gpus: [] });
    expect(taskLog(p, task.id, 1, "out")).toBe("[][two words; $HOME]");
  });

  it("the task's own PYTHONUNBUFFERED wins", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const task = shellTask(LEASE, 'printf "%s" "$PYTHONUNBUFFERED"', { env: { PYTHONUNBUFFERED: "0" } });
    publishTask(p, task);
    await waitDone(p, task.id);
    expect(taskLog(p, task.id, 1, "out")).toBe("0");
  });

  it("records the events of a run, pid and process start time included", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const task = makeTask(LEASE);
    publishTask(p, task);
    await waitDone(p, task.id);
    await waitFor(() => eventsOf(p, "finished", task.id).length === 1, { what: "finished event" });
    expect(eventsOf(p, "runner-started")).toHaveLength(1);
    expect(eventsOf(p, "claimed", task.id)).toMatchObject([{ attempt: 1 }]);
    const [started] = eventsOf(p, "started", task.id);
    expect(started?.pid).toBeGreaterThan(0);
    expect(started?.procStart).toBeGreaterThan(0);
    expect(eventsOf(p, "finished", task.id)).toMatchObject([{ attempt: 1, detail: "succeeded" }]);
  });

  it("beats while running and leaves an exited heartbeat and no claim dir behind", async () => {
    const p = paths(home.root, LEASE);
    const runner = home.start(LEASE, { cpus: 3, gpuIds: ["0", "1"], drainGraceMs: 300 });
    const task = shellTask(LEASE, "sleep 30", { gpus: 1 });
    publishTask(p, task);
    const beat = await waitFor(() => readHeartbeats(p).find((hb) => hb.running.length === 1), {
      what: "a beat with the task",
    });
    expect(beat).toMatchObject({
      state: "running",
      lease: LEASE,
      gpus: ["0", "1"],
      freeGpus: ["1"],
      cpus: 3,
      freeCpus: 2,
    });
    expect(beat.running[0]).toMatchObject({ task: task.id, attempt: 1, gpus: ["0"], cpus: 1 });
    const counter = beat.counter;
    await waitFor(() => (readHeartbeats(p)[0]?.counter ?? 0) > counter, { what: "the counter to move" });

    const exit = await runner.stop();
    expect(exit.reason).toBe("aborted");
    expect(readHeartbeats(p)).toMatchObject([{ state: "exited", running: [] }]);
    expect(() => statSync(claimDir(p, exit.runner))).toThrow();
    expect(eventsOf(p, "runner-exited")).toHaveLength(1);
  }, 30_000);
});

describe("a task that cannot start", () => {
  it("fails as a shell would when its command does not exist: exit 127, with the reason", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const task = makeTask(LEASE, { command: { kind: "argv", argv: ["rv-no-such-command-xyz", "--flag"] } });
    publishTask(p, task);
    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({
      state: "failed",
      exitCode: 127,
      reason: "rv-no-such-command-xyz: command not found",
    });
    expect(taskLog(p, task.id, 1, "err")).toBe("rv: rv-no-such-command-xyz: command not found\n");
  });

  it("fails as a shell would when its command is not executable: exit 126, permission denied", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const file = join(home.root, "not-executable");
    writeFileSync(file, "echo never\n", { mode: 0o644 });
    const task = makeTask(LEASE, { command: { kind: "argv", argv: [file] } });
    publishTask(p, task);
    expect(await waitDone(p, task.id)).toMatchObject({
      state: "failed",
      exitCode: 126,
      reason: `${file}: permission denied`,
    });
  });

  it("fails with spawn's reason when an argument cannot be passed at all (a NUL byte)", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const task = makeTask(LEASE, { command: { kind: "argv", argv: ["echo", "a\u0000b"] } });
    publishTask(p, task);
    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({
      state: "failed",
      exitCode: 126,
      reason: expect.stringMatching(/^echo: cannot execute: /),
    });
    expect(taskLog(p, task.id, 1, "err")).toBe(`rv: ${done.reason}\n`);
  });

  it("fails with a reason when its working directory is missing", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const task = makeTask(LEASE, { cwd: `${home.root}/gone` });
    publishTask(p, task);
    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({ state: "failed", reason: `working directory ${home.root}/gone does not exist` });
    expect(readFileSync(`${p.logs}/${task.id}/1.err`, "utf8")).toContain("does not exist");
  });

  it("does not stop the queue", async () => {
    const p = paths(home.root, LEASE);
    home.start(LEASE);
    const bad = makeTask(LEASE, { command: { kind: "argv", argv: ["/nonexistent/bin/tool"] } });
    const good = makeTask(LEASE);
    publishTask(p, bad);
    publishTask(p, good);
    expect((await waitDone(p, good.id)).state).toBe("succeeded");
    expect((await waitDone(p, bad.id)).state).toBe("failed");
  });
});
