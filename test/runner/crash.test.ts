import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { publishTask, readHeartbeats } from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { shellTask } from "./factory.ts";
import {
  eventsOf,
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

function spawnKillable(root: string) {
  const child = spawnRunner(root, LEASE);
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
});
