import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  claimDir,
  GONE_KEPT_STALE_PERIODS,
  heartbeatFile,
  publishTask,
  readHeartbeats,
  recoverClaims,
} from "../../src/fsqueue/index.ts";
import { readLeaseCounts } from "../../src/lease/index.ts";
import { summarize } from "../../src/ops/summary.ts";
import { pidAlive } from "../../src/runner/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { shellTask } from "./factory.ts";
import {
  eventsOf,
  FAST,
  type InProcessRunner,
  paths,
  processRunning,
  readPids,
  spawnRunner,
  startRunner,
  taskLog,
  waitDone,
} from "./harness.ts";

const LEASE = "crash";
let home: ReturnType<typeof makeHome>;
let runners: InProcessRunner[] = [];
let killers: (() => void)[] = [];

beforeEach(() => {
  home = makeHome();
});
afterEach(async () => {
  for (const kill of killers) kill();
  await Promise.all(runners.map((runner) => runner.stop()));
  runners = [];
  killers = [];
  home.cleanup();
});

/** Every attempt writes `<attempt> <pid>` for itself and a background child, then waits for ever (or not). */
function attemptScript(pidFile: string, finishFrom: number): string {
  return `echo "$RV_ATTEMPT $$" >> ${pidFile}
if [ "$RV_ATTEMPT" -ge ${finishFrom} ]; then echo "done on attempt $RV_ATTEMPT"; exit 0; fi
sleep 1000 & echo "$RV_ATTEMPT $!" >> ${pidFile}
wait`;
}

function pidsOfAttempt(pidFile: string, attempt: number): number[] {
  const words = readPids(pidFile);
  const pids: number[] = [];
  for (let i = 0; i + 1 < words.length; i += 2) if (words[i] === attempt) pids.push(words[i + 1] as number);
  return pids;
}

function spawnKillable(root: string, options: Parameters<typeof spawnRunner>[2] = {}) {
  const child = spawnRunner(root, LEASE, options);
  killers.push(() => child.kill("SIGKILL"));
  return child;
}

describe("a runner killed with kill -9", () => {
  it("its orphaned task is killed and the task succeeds on attempt 2 on the other runner", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(LEASE, attemptScript(pidFile, 2));
    publishTask(p, task);
    const doomed = spawnKillable(home.root);
    const orphans = await waitFor(
      () => (pidsOfAttempt(pidFile, 1).length === 2 ? pidsOfAttempt(pidFile, 1) : undefined),
      {
        what: "attempt 1 to start in the first runner",
      },
    );
    runners.push(startRunner(home.root, LEASE));
    await waitFor(() => readHeartbeats(p).length === 2, { what: "both runners to beat" });

    doomed.kill("SIGKILL");
    await doomed;
    expect(orphans.every(processRunning), "the orphans outlive their runner").toBe(true);

    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({ state: "succeeded", task: { attempt: 2, crashes: 1 } });
    expect(taskLog(p, task.id, 2, "out")).toContain("done on attempt 2");
    for (const pid of orphans) expect(processRunning(pid), `orphan ${pid}`).toBe(false);
    expect(eventsOf(p, "recovered", task.id)).toMatchObject([{ attempt: 2 }]);
  });

  it("a task whose runner dies maxCrashes times ends failed with the reason", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(LEASE, attemptScript(pidFile, 99), { maxCrashes: 2 });
    publishTask(p, task);

    for (const attempt of [1, 2]) {
      const doomed = spawnKillable(home.root);
      await waitFor(() => pidsOfAttempt(pidFile, attempt).length === 2, { what: `attempt ${attempt} to start` });
      doomed.kill("SIGKILL");
      await doomed;
    }
    runners.push(startRunner(home.root, LEASE));
    const done = await waitDone(p, task.id);
    expect(done).toMatchObject({
      state: "failed",
      reason: "its runner was lost 2 times (crash limit 2)",
      task: { attempt: 2, crashes: 2 },
    });
    for (const pid of [...pidsOfAttempt(pidFile, 1), ...pidsOfAttempt(pidFile, 2)]) {
      expect(processRunning(pid), `orphan ${pid}`).toBe(false);
    }
  });

  it("once its task is recovered and finished elsewhere it shows as gone, holding nothing, and its heartbeat is pruned later", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(LEASE, attemptScript(pidFile, 2), { gpus: 1 });
    publishTask(p, task);
    const doomed = spawnKillable(home.root, { gpuIds: ["0", "1"] });
    await waitFor(() => pidsOfAttempt(pidFile, 1).length === 2, { what: "attempt 1 to start" });
    const dead = await waitFor(() => readHeartbeats(p).find((hb) => hb.running.length === 1), {
      what: "a heartbeat that shows the task running",
    });
    doomed.kill("SIGKILL");
    await doomed;

    // The survivor keeps a gone runner's heartbeat for 4 stale periods after its last beat: 10 s here.
    const staleAfterMs = 2500;
    const status = () =>
      summarize(LEASE, "active", readLeaseCounts(p, { host: hostname(), nowMs: Date.now(), staleAfterMs, pidAlive }));
    const before = status();
    expect(before.runners).toMatchObject([{ id: dead.runner, health: "stale", running: 1, gpus: ["0", "1"] }]);
    expect(before.counts.lost).toBe(1);

    const survivor = startRunner(home.root, LEASE, { gpuIds: ["0"], staleAfterMs });
    runners.push(survivor);
    expect(await waitDone(p, task.id)).toMatchObject({ state: "succeeded", task: { attempt: 2 } });
    const after = status();
    expect(after.runners.find((r) => r.id === dead.runner)).toMatchObject({
      health: "gone",
      running: 0,
      gpus: [],
      freeGpus: [],
    });
    expect(after.gpus).toEqual({ total: 1, busy: 0, free: 1 });
    expect(after.counts).toMatchObject({ lost: 0, running: 0, succeeded: 1 });
    expect(existsSync(heartbeatFile(p, dead.runner)), "kept a while after recovery").toBe(true);

    await waitFor(() => !existsSync(heartbeatFile(p, dead.runner)), {
      what: "the gone runner's heartbeat to be pruned",
    });
    expect(existsSync(claimDir(p, dead.runner))).toBe(false);
    expect(status().runners.map((r) => r.id)).not.toContain(dead.runner);
    expect(survivor.log).toContainEqual(expect.stringMatching(`^pruned the heartbeat of runner ${dead.runner}: gone`));
  });
});

describe("a runner whose claims were recovered while it still ran them (judged stale elsewhere)", () => {
  it("stops what it ran, drops its end, and runs the requeued attempt only once that one has ended", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const task = shellTask(LEASE, attemptScript(pidFile, 2));
    publishTask(p, task);
    const runner = startRunner(home.root, LEASE);
    runners.push(runner);
    const [, child] = await waitFor(() => (pidsOfAttempt(pidFile, 1).length === 2 ? pidsOfAttempt(pidFile, 1) : null));
    const self = (await waitFor(() => readHeartbeats(p)[0])).runner;

    // A recoverer on another host: it cannot kill the attempt, and removes the runner's claim directory.
    const host = "node-elsewhere";
    expect(recoverClaims(p, self, "node-elsewhere-9-rcv000", { host, now: new Date() })).toMatchObject([
      { outcome: "requeued", attempt: 2 },
    ]);
    expect(existsSync(claimDir(p, self))).toBe(false);

    expect(await waitDone(p, task.id)).toMatchObject({ state: "succeeded", runner: self, task: { attempt: 2 } });
    expect(processRunning(child as number), "attempt 1 stopped").toBe(false);
    const [ended] = eventsOf(p, "finished", task.id);
    expect(ended).toMatchObject({ attempt: 1, detail: "claim taken over" });
    const [, second] = eventsOf(p, "started", task.id);
    expect(second?.attempt).toBe(2);
    expect(Date.parse(second?.time ?? ""), "never both at once").toBeGreaterThanOrEqual(Date.parse(ended?.time ?? ""));
    expect(runner.log).toContainEqual(expect.stringMatching(/^own claim dir was gone/));
  });
});

describe("a runner paused with SIGSTOP past the stale threshold", () => {
  it("loses its claims to recovery but not its heartbeat, and once resumed claims and runs tasks again", async () => {
    const p = paths(home.root, LEASE);
    const pidFile = join(home.root, "pids");
    const first = shellTask(LEASE, attemptScript(pidFile, 2));
    publishTask(p, first);
    const paused = spawnKillable(home.root);
    await waitFor(() => pidsOfAttempt(pidFile, 1).length === 2, { what: "attempt 1 to start in the runner to pause" });
    const pausedBeat = await waitFor(() => readHeartbeats(p).find((hb) => hb.pid === paused.pid));
    const survivor = startRunner(home.root, LEASE);
    runners.push(survivor);
    const survivorId = (await waitFor(() => readHeartbeats(p).find((hb) => hb.pid === process.pid))).runner;
    const beatsOf = (runner: string) => readHeartbeats(p).find((hb) => hb.runner === runner)?.counter ?? 0;

    paused.kill("SIGSTOP");
    const beatsAtPause = beatsOf(survivorId);
    expect(await waitDone(p, first.id)).toMatchObject({ state: "succeeded", runner: survivorId, task: { attempt: 2 } });
    expect(existsSync(claimDir(p, pausedBeat.runner)), "its claims recovered, its claim dir removed").toBe(false);
    // The survivor sweeps on each beat: once it has swept past 4 stale periods of the pause, a dead pid would have
    // had the heartbeat pruned. A live pid keeps it (for a day).
    const beatsPastPrune = (GONE_KEPT_STALE_PERIODS * FAST.staleAfterMs) / FAST.heartbeatMs + 5;
    await waitFor(() => beatsOf(survivorId) >= beatsAtPause + beatsPastPrune, { what: "the survivor's sweeps" });
    expect(existsSync(heartbeatFile(p, pausedBeat.runner)), "a paused runner's heartbeat is not pruned").toBe(true);

    paused.kill("SIGCONT");
    await survivor.stop();
    const next = shellTask(LEASE, "echo after the pause");
    publishTask(p, next);
    expect(await waitDone(p, next.id)).toMatchObject({ state: "succeeded", runner: pausedBeat.runner });
    expect(existsSync(claimDir(p, pausedBeat.runner))).toBe(true);
    expect(await waitDone(p, first.id), "its old attempt's end is dropped").toMatchObject({ task: { attempt: 2 } });
  });
});
