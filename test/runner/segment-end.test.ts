/**
 * The end of a segment, on real runner processes: SIGUSR1 (Slurm's notice that the job is about to end)
 * stops claiming, sends tasks their checkpoint signal, stops what is left after the checkpoint grace, and
 * requeues every interrupted task without a crash; its next attempt sees RV_RESUME=1. With a known segment
 * end, a task whose time request is longer waits in the inbox.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { publishTask, readPending } from "../../src/fsqueue/index.ts";
import type { RunnerExit } from "../../src/runner/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask, shellTask } from "./factory.ts";
import {
  eventsOf,
  paths,
  processRunning,
  readPids,
  type spawnRunner,
  taskLog,
  useRunnerHome,
  waitDone,
} from "./harness.ts";

const LEASE = "segment";
const home = useRunnerHome();
const runner = (options: Parameters<typeof spawnRunner>[2] = {}) => home.spawn(LEASE, options);

const printed = (p: ReturnType<typeof paths>, id: string, text: string) => taskLog(p, id, 1, "out").includes(text);
const exitOf = (result: { stdout: unknown }) => JSON.parse(String(result.stdout)) as RunnerExit;
const pendingAttempts = (p: ReturnType<typeof paths>) =>
  readPending(p).map(({ task }) => ({
    id: task.id,
    attempt: task.attempt,
    crashes: task.crashes,
    resume: task.resume,
    requeueReason: task.requeueReason,
  }));

describe("SIGUSR1: the segment is ending", () => {
  it("a task that saves on its checkpoint signal is requeued, not as a crash, and resumes in the next segment", async () => {
    const p = paths(home.root, LEASE);
    const checkpoint = join(home.root, "checkpoint");
    const saver = shellTask(
      LEASE,
      [
        `if [ "$RV_RESUME" = 1 ]; then echo "attempt $RV_ATTEMPT resumed from $(cat ${checkpoint})"; exit 0; fi`,
        `trap 'echo step-42 > ${checkpoint}; exit 0' USR1`,
        "echo ready",
        "sleep 1000 & wait",
      ].join("\n"),
      { checkpointSignal: "SIGUSR1" },
    );
    publishTask(p, saver);
    const first = runner({ cpus: 2, env: { RV_CHECKPOINT_GRACE_MS: "20000" } });
    await waitFor(() => printed(p, saver.id, "ready"), { what: "the task to set its trap" });

    const signalledAt = Date.now();
    first.kill("SIGUSR1");
    await waitFor(() => eventsOf(p, "draining").length === 1, { what: "the runner to stop claiming" });
    const late = shellTask(LEASE, 'echo "resume=$RV_RESUME attempt=$RV_ATTEMPT"');
    publishTask(p, late);
    const result = await first;

    expect(result.exitCode, result.stderr).toBe(0);
    expect(Date.now() - signalledAt, "the runner left as soon as the task had saved").toBeLessThan(15_000);
    expect(exitOf(result)).toMatchObject({ reason: "segment-end", finished: 0, requeued: 1 });
    expect(readFileSync(checkpoint, "utf8")).toBe("step-42\n");
    expect(pendingAttempts(p)).toEqual([
      { id: saver.id, attempt: 2, crashes: 0, resume: true, requeueReason: "segment end" },
      { id: late.id, attempt: 1, crashes: 0, resume: undefined, requeueReason: undefined },
    ]);
    expect(eventsOf(p, "claimed", late.id), "nothing is claimed after SIGUSR1").toEqual([]);
    expect(eventsOf(p, "requeued", saver.id)).toMatchObject([
      { attempt: 1, detail: "segment end; next attempt 2 (RV_RESUME=1)" },
    ]);

    const next = runner();
    expect(await waitDone(p, saver.id)).toMatchObject({ state: "succeeded", task: { attempt: 2 } });
    expect(taskLog(p, saver.id, 2, "out")).toBe("attempt 2 resumed from step-42\n");
    await waitDone(p, late.id);
    expect(taskLog(p, late.id, 1, "out"), "a task rv did not interrupt is not told to resume").toBe(
      "resume= attempt=1\n",
    );
    next.kill("SIGTERM");
    expect(exitOf(await next)).toMatchObject({ reason: "signal", finished: 2 });
  });

  it("after the grace, a task that ignores its signal and one without --checkpoint are stopped and requeued; one that ends by itself is done", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const usr1Seen = join(home.root, "usr1-seen");
    const ignorer = shellTask(
      LEASE,
      `trap '' USR1; echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; echo ready; wait`,
      { checkpointSignal: "SIGUSR1" },
    );
    // Without --checkpoint it must not be sent SIGUSR1 (its trap would leave a file behind).
    const plain = shellTask(
      LEASE,
      `trap 'touch ${usr1Seen}' USR1; echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; echo ready; wait`,
    );
    const quick = shellTask(LEASE, "echo ready; sleep 1; echo done");
    for (const task of [ignorer, plain, quick]) publishTask(p, task);
    const graceMs = 3000;
    const child = runner({ cpus: 3, env: { RV_CHECKPOINT_GRACE_MS: String(graceMs), RV_KILL_GRACE_MS: "500" } });
    await waitFor(() => [ignorer, plain, quick].every((task) => printed(p, task.id, "ready")), {
      what: "the three tasks to start",
    });

    const signalledAt = Date.now();
    child.kill("SIGUSR1");
    const result = await child;

    expect(result.exitCode, result.stderr).toBe(0);
    expect(Date.now() - signalledAt, "the tasks had their grace").toBeGreaterThanOrEqual(graceMs);
    expect(exitOf(result)).toMatchObject({ reason: "segment-end", finished: 1, requeued: 2 });
    expect(await waitDone(p, quick.id)).toMatchObject({ state: "succeeded" });
    expect(pendingAttempts(p)).toEqual(
      [ignorer, plain].map((task) => ({
        id: task.id,
        attempt: 2,
        crashes: 0,
        resume: true,
        requeueReason: "segment end",
      })),
    );
    expect(existsSync(usr1Seen), "a task without --checkpoint got SIGUSR1").toBe(false);
    for (const pid of readPids(pidFile)) expect(processRunning(pid), `pid ${pid}`).toBe(false);
  });

  it("SIGTERM after SIGUSR1 (Slurm's time limit) stops the tasks at once; the exit is still a segment end", async () => {
    const p = paths(home.root, LEASE);
    const task = shellTask(LEASE, "trap '' USR1; echo ready; sleep 1000", { checkpointSignal: "SIGUSR1" });
    publishTask(p, task);
    const child = runner({ env: { RV_CHECKPOINT_GRACE_MS: "60000", RV_KILL_GRACE_MS: "500" } });
    await waitFor(() => printed(p, task.id, "ready"), { what: "the task to start" });

    child.kill("SIGUSR1");
    await waitFor(() => eventsOf(p, "draining").length === 1, { what: "the runner to stop claiming" });
    child.kill("SIGTERM");
    const result = await child;

    expect(exitOf(result)).toMatchObject({ reason: "segment-end", requeued: 1 });
    expect(pendingAttempts(p)).toMatchObject([{ id: task.id, attempt: 2, crashes: 0, resume: true }]);
  });
});

describe("SIGTERM inside a Slurm segment: the job is ending", () => {
  it("a task Slurm kills with the job (scancel, preemption) is requeued, not failed; the runner exits at once", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(LEASE, `echo $$ >> ${pidFile}; echo ready; sleep 1000`);
    publishTask(p, task);
    const segmentEnd = String(Math.floor(Date.now() / 1000) + 3600);
    const child = runner({ env: { RV_SEGMENT_END: segmentEnd, RV_DRAIN_GRACE_MS: "60000", RV_KILL_GRACE_MS: "500" } });
    await waitFor(() => printed(p, task.id, "ready"), { what: "the task to start" });

    // What scancel does: SIGTERM to every process of the step, the runner and the task alike; the task may
    // well die before the runner hears of it.
    const [taskPid] = readPids(pidFile);
    process.kill(taskPid ?? -1, "SIGTERM");
    await waitFor(() => !processRunning(taskPid ?? -1), { what: "the task to die first" });
    child.kill("SIGTERM");
    const result = await child;

    expect(exitOf(result)).toMatchObject({ reason: "segment-end", requeued: 1, finished: 0 });
    expect(pendingAttempts(p)).toMatchObject([{ id: task.id, attempt: 2, crashes: 0, resume: true }]);
  });

  it("a shell whose child Slurm killed exits 143 by itself: that is the job ending too", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(
      LEASE,
      `echo $$ >> ${pidFile}; sleep 1000 & echo $! >> ${pidFile}; echo ready; wait $!; exit $?`,
    );
    publishTask(p, task);
    const segmentEnd = String(Math.floor(Date.now() / 1000) + 3600);
    const child = runner({ env: { RV_SEGMENT_END: segmentEnd, RV_DRAIN_GRACE_MS: "60000", RV_KILL_GRACE_MS: "500" } });
    await waitFor(() => printed(p, task.id, "ready"), { what: "the task to start" });

    const [shellPid, sleepPid] = readPids(pidFile);
    process.kill(sleepPid ?? -1, "SIGTERM");
    await waitFor(() => !processRunning(shellPid ?? -1), { what: "the shell to exit 143 before the runner hears" });
    child.kill("SIGTERM");
    const result = await child;

    expect(exitOf(result)).toMatchObject({ reason: "segment-end", requeued: 1, finished: 0 });
    expect(pendingAttempts(p)).toMatchObject([{ id: task.id, attempt: 2, crashes: 0 }]);
  });

  it("outside a Slurm segment, SIGTERM drains as before", async () => {
    const p = paths(home.root, LEASE);
    const task = shellTask(LEASE, "echo ready; sleep 1; echo done");
    publishTask(p, task);
    const child = runner({ env: { RV_DRAIN_GRACE_MS: "60000" } });
    await waitFor(() => printed(p, task.id, "ready"), { what: "the task to start" });
    child.kill("SIGTERM");
    expect(exitOf(await child)).toMatchObject({ reason: "signal", finished: 1, requeued: 0 });
  });
});

describe("time requests near the segment end", () => {
  it("a task that needs longer than the segment has left stays pending; the tasks behind it run", async () => {
    const p = paths(home.root, LEASE);
    const long = makeTask(LEASE, { timeRequestMs: 120_000 });
    const short = makeTask(LEASE, { timeRequestMs: 30_000 });
    const untimed = makeTask(LEASE);
    for (const task of [long, short, untimed]) publishTask(p, task);
    const segmentEnd = Math.round(Date.now() / 1000) + 60;
    const child = runner({ env: { RV_SEGMENT_END: String(segmentEnd) } });

    expect(await waitDone(p, short.id)).toMatchObject({ state: "succeeded" });
    expect(await waitDone(p, untimed.id)).toMatchObject({ state: "succeeded" });
    child.kill("SIGTERM");
    const result = await child;

    expect(result.stderr).toContain(`task ${long.id} needs longer than this segment has left`);
    expect(eventsOf(p, "claimed", long.id)).toEqual([]);
    expect(pendingAttempts(p)).toMatchObject([{ id: long.id, attempt: 1 }]);
  });
});
