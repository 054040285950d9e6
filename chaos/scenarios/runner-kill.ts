import { judgeRun } from "../history.ts";
import { histories, must, type Scenario, settle, sleep, startRunner, submitTask } from "../lib.ts";
import { between } from "../random.ts";

/**
 * Two runners serve a lease; one of them is killed with SIGKILL at a random instant while twelve short tasks are
 * claimed, started, finished and beaten for. The other must recover what the dead one held: nothing lost, nothing
 * run twice at once.
 */
export const runnerKill: Scenario = {
  name: "kill -9 of a runner",
  needs: "local",
  runs: { full: 50, short: 3 },
  async run({ root, marks, random }) {
    const up = await must(root, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"]);
    const first = Number(/runner pid (\d+)/.exec(up.stderr)?.[1]);
    const second = startRunner(root, "chaos");
    // Submitted all at once while the runners work: the kill lands among claims, starts, finishes and beats.
    const sleeps = Array.from({ length: 12 }, () => between(random, 100, 600));
    const killAfterMs = between(random, 200, 2000);
    const victim = random() < 0.5 ? first : (second.pid ?? first);
    const submits = Promise.all(sleeps.map((sleepMs) => submitTask(root, { lease: "chaos", marks, sleepMs, cpus: 1 })));
    // The fault's instant is the point of the scenario: a timer, not a wait for a condition.
    await sleep(killAfterMs);
    process.kill(victim, "SIGKILL");
    const faultAtMs = Date.now();
    const ids = (await submits).filter((id): id is string => id !== null);
    await settle(root, "chaos");
    const verdict = judgeRun(await histories(root, "chaos", marks, ids), faultAtMs);
    second.kill("SIGTERM");
    await second;
    return verdict;
  },
};
