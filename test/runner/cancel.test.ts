import { existsSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { controlFile, publishTask, requestControl } from "../../src/fsqueue/index.ts";
import { attemptTag, taggedPids } from "../../src/runner/tag.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask, shellTask } from "./factory.ts";
import { eventsOf, paths, processRunning, readPids, taskLog, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "cancel";
const home = useRunnerHome();

/** A task whose children and grandchildren write their pids, then everything waits. */
function familyScript(pidFile: string, prelude = ""): string {
  return `${prelude}
sleep 1000 & echo $! >> ${pidFile}
( sleep 1000 & echo $! >> ${pidFile}; wait ) &
echo $$ >> ${pidFile}
wait`;
}

it("cancel through control/ kills the task's whole process group and records it cancelled", async () => {
  const p = paths(home.root, LEASE);
  const pidFile = join(home.root, "pids");
  home.start(LEASE);
  const task = shellTask(LEASE, familyScript(pidFile));
  publishTask(p, task);
  const pids = await waitFor(() => (readPids(pidFile).length === 3 ? readPids(pidFile) : undefined), {
    what: "3 pids",
  });
  expect(pids.every(processRunning)).toBe(true);

  requestControl(p, task.id, "cancel", "test", new Date());
  const done = await waitDone(p, task.id);
  expect(done).toMatchObject({ state: "cancelled", reason: "cancelled by user", signal: "SIGTERM" });
  for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  await waitFor(() => !existsSync(controlFile(p, task.id, "cancel")), { what: "the cancel request to be removed" });
});

it("a task that ignores SIGTERM is killed with SIGKILL after the kill grace", async () => {
  const p = paths(home.root, LEASE);
  const pidFile = join(home.root, "pids");
  home.start(LEASE, { killGraceMs: 300 });
  const task = shellTask(LEASE, familyScript(pidFile, "trap '' TERM"));
  publishTask(p, task);
  const pids = await waitFor(() => (readPids(pidFile).length === 3 ? readPids(pidFile) : undefined), {
    what: "3 pids",
  });
  requestControl(p, task.id, "cancel", "test", new Date());
  const done = await waitDone(p, task.id);
  expect(done).toMatchObject({ state: "cancelled", signal: "SIGKILL" });
  for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
});

it("a pending task with a cancel request is finished as cancelled without running", async () => {
  const p = paths(home.root, LEASE);
  home.start(LEASE, { cpus: 1 });
  const blocker = shellTask(LEASE, "sleep 1000");
  const waiting = shellTask(LEASE, "echo ran");
  publishTask(p, blocker);
  publishTask(p, waiting);
  requestControl(p, waiting.id, "cancel", "test", new Date());
  requestControl(p, blocker.id, "cancel", "test", new Date());
  expect((await waitDone(p, blocker.id)).state).toBe("cancelled");
  const done = await waitDone(p, waiting.id);
  expect(done).toMatchObject({ state: "cancelled", startedAt: null });
  expect(taskLog(p, waiting.id, 1, "out")).toBe("");
  await waitFor(() => !existsSync(controlFile(p, waiting.id, "cancel")), { what: "the cancel request to be removed" });
});

it("a cancel request for a task already done is removed", async () => {
  const p = paths(home.root, LEASE);
  home.start(LEASE);
  const task = makeTask(LEASE);
  publishTask(p, task);
  expect((await waitDone(p, task.id)).state).toBe("succeeded");
  requestControl(p, task.id, "cancel", "test", new Date());
  await waitFor(() => !existsSync(controlFile(p, task.id, "cancel")), {
    what: "the stale cancel request to be removed",
  });
  expect((await waitDone(p, task.id)).state).toBe("succeeded");
});

it("a requeue request interrupts a running task and puts it back as the next attempt, without a crash", async () => {
  const p = paths(home.root, LEASE);
  const pidFile = join(home.root, "pids");
  home.start(LEASE);
  const task = shellTask(
    LEASE,
    `if [ "$RV_ATTEMPT" = 1 ]; then ${familyScript(pidFile)}; fi; echo "attempt $RV_ATTEMPT"`,
  );
  publishTask(p, task);
  const pids = await waitFor(() => (readPids(pidFile).length === 3 ? readPids(pidFile) : undefined), {
    what: "3 pids",
  });

  requestControl(p, task.id, "requeue", "test", new Date());
  const done = await waitDone(p, task.id);
  expect(done).toMatchObject({ state: "succeeded", task: { attempt: 2, crashes: 0 } });
  expect(taskLog(p, task.id, 2, "out")).toBe("attempt 2\n");
  for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  expect(eventsOf(p, "requeued", task.id)).toMatchObject([{ attempt: 1, detail: "requeue requested; next attempt 2" }]);
  expect(existsSync(controlFile(p, task.id, "requeue"))).toBe(false);
});

/** Two processes that leave the task's process group, each writing its pid: one by setsid, one a double-forked daemon. */
function straysScript(pidFile: string): string {
  return `setsid sh -c 'echo $$ >> ${pidFile}; exec sleep 1000' &
setsid sh -c 'sleep 1000 & echo $! >> ${pidFile}' &`;
}

/** The processes of the task's first attempt that still run, found by the tag in their environment. */
function taggedOf(p: ReturnType<typeof paths>, taskId: string): number[] {
  const [started] = eventsOf(p, "started", taskId);
  if (!started) throw new Error(`task ${taskId} has not started`);
  return taggedPids(attemptTag(started.runner, taskId, 1));
}

it("cancel stops what the task started outside its process group, and no process of the runner or another task", async () => {
  const p = paths(home.root, LEASE);
  const pidFile = join(home.root, "pids");
  const otherFile = join(home.root, "other");
  const runner = home.spawn(LEASE);
  const task = shellTask(LEASE, familyScript(pidFile, straysScript(pidFile)));
  const other = shellTask(LEASE, familyScript(otherFile, straysScript(otherFile)));
  publishTask(p, task);
  publishTask(p, other);
  const pids = await waitFor(() => (readPids(pidFile).length === 5 ? readPids(pidFile) : undefined), {
    what: "5 pids",
  });
  const others = await waitFor(() => (readPids(otherFile).length === 5 ? readPids(otherFile) : undefined), {
    what: "5 pids of the other task",
  });
  expect(taggedOf(p, task.id)).toEqual(expect.arrayContaining(pids));

  requestControl(p, task.id, "cancel", "test", new Date());
  expect(await waitDone(p, task.id)).toMatchObject({ state: "cancelled" });
  // Its end is recorded once nothing of it runs: the next task finds its GPUs free.
  for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  expect(taggedOf(p, task.id)).toEqual([]);
  for (const pid of [runner.pid ?? 0, ...others]) expect(processRunning(pid), `pid ${pid}`).toBe(true);
});

it("a timeout stops what the task started outside its process group", async () => {
  const p = paths(home.root, LEASE);
  const pidFile = join(home.root, "pids");
  home.start(LEASE);
  const task = shellTask(LEASE, familyScript(pidFile, straysScript(pidFile)), { timeoutMs: 1500 });
  publishTask(p, task);
  const pids = await waitFor(() => (readPids(pidFile).length === 5 ? readPids(pidFile) : undefined), {
    what: "5 pids",
  });
  expect(await waitDone(p, task.id)).toMatchObject({ state: "failed", reason: "timeout" });
  for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  expect(taggedOf(p, task.id)).toEqual([]);
});

it("a task whose main process exits ends there: what it left outside its group is stopped, and its .err log says so", async () => {
  const p = paths(home.root, LEASE);
  const pidFile = join(home.root, "pids");
  home.start(LEASE);
  const task = shellTask(
    LEASE,
    `touch ${pidFile}
${straysScript(pidFile)}
while [ "$(wc -l < ${pidFile})" -lt 2 ]; do sleep 0.05; done
echo main done`,
  );
  publishTask(p, task);
  expect(await waitDone(p, task.id)).toMatchObject({ state: "succeeded", exitCode: 0 });
  const pids = readPids(pidFile);
  expect(pids).toHaveLength(2);
  for (const pid of pids) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  expect(taskLog(p, task.id, 1, "out")).toBe("main done\n");
  expect(taskLog(p, task.id, 1, "err")).toMatch(
    /^rv: the task's main process exited; rv stopped what it left running \(2 processes outside its process group \(pid \d+, \d+\)\): ended on SIGTERM\n$/,
  );
});
