import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  claimDir,
  controlFile,
  publishTask,
  readHeartbeats,
  readPending,
  requestControl,
} from "../../src/fsqueue/index.ts";
import type { RunnerExit } from "../../src/runner/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask, shellTask } from "./factory.ts";
import {
  eventsOf,
  type InProcessRunner,
  paths,
  processRunning,
  readPids,
  spawnRunner,
  startRunner,
  waitDone,
} from "./harness.ts";

const LEASE = "drain";
let home: ReturnType<typeof makeHome>;
let runner: InProcessRunner | undefined;
let cleanup: (() => void) | undefined;

beforeEach(() => {
  home = makeHome();
});
afterEach(async () => {
  cleanup?.();
  await runner?.stop();
  runner = undefined;
  home.cleanup();
});

const started = (p: ReturnType<typeof paths>, id: string) => eventsOf(p, "started", id).length > 0;

describe("SIGTERM to the runner", () => {
  it("lets a task finish within the grace, requeues the one that outlives it without a crash, then exits", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const quick = shellTask(LEASE, "sleep 0.7; echo finished");
    const slow = shellTask(LEASE, `echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; wait`);
    publishTask(p, quick);
    publishTask(p, slow);
    const child = spawnRunner(home.root, LEASE, {
      cpus: 2,
      env: { RV_DRAIN_GRACE_MS: "2000", RV_KILL_GRACE_MS: "500" },
    });
    cleanup = () => child.kill("SIGKILL");
    await waitFor(() => started(p, quick.id) && readPids(pidFile).length === 2, { what: "both tasks to start" });

    child.kill("SIGTERM");
    await waitFor(() => eventsOf(p, "draining").length === 1, { what: "the runner to start draining" });
    const late = makeTask(LEASE);
    publishTask(p, late);
    const result = await child;

    expect(result.exitCode, result.stderr).toBe(0);
    expect(JSON.parse(result.stdout) as RunnerExit).toMatchObject({ reason: "signal", finished: 1, requeued: 1 });
    expect((await waitDone(p, quick.id)).state).toBe("succeeded");
    const pending = readPending(p);
    expect(pending.map((entry) => [entry.key, entry.task.attempt, entry.task.crashes])).toEqual(
      [
        [slow.id, 2, 0],
        [late.id, 1, 0],
      ].sort(),
    );
    for (const pid of readPids(pidFile)) expect(processRunning(pid), `pid ${pid}`).toBe(false);
    expect(readHeartbeats(p)).toMatchObject([{ state: "exited" }]);
    expect(eventsOf(p, "requeued", slow.id)).toMatchObject([{ attempt: 1 }]);
  });
});

describe("lease controls", () => {
  it("lease.stop kills running tasks, requeues them without a crash, and every runner exits", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(LEASE, `echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; wait`);
    publishTask(p, task);
    runner = startRunner(home.root, LEASE);
    const other = startRunner(home.root, LEASE);
    await waitFor(() => readPids(pidFile).length === 2, { what: "the task to start" });

    requestControl(p, "lease", "stop", "test", new Date());
    const [exit, otherExit] = await Promise.all([runner.exit, other.exit]);
    runner = undefined;
    expect([exit.reason, otherExit.reason]).toEqual(["stopped", "stopped"]);
    expect(exit.requeued + otherExit.requeued).toBe(1);
    expect(readPending(p).map((entry) => entry.task)).toMatchObject([{ id: task.id, attempt: 2, crashes: 0 }]);
    for (const pid of readPids(pidFile)) expect(processRunning(pid), `pid ${pid}`).toBe(false);
    expect(existsSync(controlFile(p, "lease", "stop")), "left for the other runners").toBe(true);
    expect(existsSync(claimDir(p, exit.runner))).toBe(false);
  });

  it("lease.drain stops claiming and lets running tasks finish with no time limit", async () => {
    const p = paths(home.root, LEASE);
    const running = shellTask(LEASE, "sleep 1; echo ok");
    publishTask(p, running);
    runner = startRunner(home.root, LEASE, { drainGraceMs: 10 });
    await waitFor(() => started(p, running.id), { what: "the task to start" });

    requestControl(p, "lease", "drain", "test", new Date());
    await waitFor(() => eventsOf(p, "draining").length === 1, { what: "the runner to start draining" });
    const next = makeTask(LEASE);
    publishTask(p, next);
    const exit = await runner.exit;
    runner = undefined;
    expect(exit).toMatchObject({ reason: "drained", finished: 1, requeued: 0 });
    expect((await waitDone(p, running.id)).state).toBe("succeeded");
    expect(readPending(p).map((entry) => entry.key)).toEqual([next.id]);
  });
});
