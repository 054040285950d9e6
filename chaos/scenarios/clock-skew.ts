import { judgeRun } from "../history.ts";
import { histories, must, type Scenario, settle, sleep, startRunner, submitTask } from "../lib.ts";
import { between } from "../random.ts";

/** Beats and staleness made fast, so that a wrong judgement shows within the run. */
const FAST = { RV_HEARTBEAT_MS: "300", RV_STALE_AFTER_MS: "2000" };

/**
 * Three runners of one lease, two of them under faketime (10 minutes behind, 10 minutes ahead): while they all
 * beat, none is judged stale by another or by a reader, and the tasks they share run once at a time, none lost.
 */
export const clockSkew: Scenario = {
  name: "runners 10 min off (faketime)",
  needs: "local",
  runs: { full: 3, short: 1 },
  async run({ root, marks, random, short }) {
    await must(root, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"], FAST);
    const skewed = ["-10m", "+10m"].map((offset) =>
      startRunner(root, "chaos", { env: FAST, wrapper: ["faketime", "-f", offset] }),
    );
    const ids: string[] = [];
    const problems: string[] = [];
    const count = short ? 12 : 30;
    for (let i = 0; i < count; i++) {
      const id = await submitTask(root, { lease: "chaos", marks, sleepMs: between(random, 200, 900), cpus: 1 });
      if (id) ids.push(id);
    }
    // Readers judge too: look while the tasks run, several stale thresholds long.
    for (let look = 0; look < 8; look++) {
      const { stdout } = await must(root, ["lease", "show", "chaos", "--json"], FAST);
      const runners = (JSON.parse(stdout) as { runners: { id: string; health: string }[] }).runners;
      for (const r of runners.filter((r) => r.health !== "ok"))
        problems.push(`runner ${r.id} shown ${r.health} while it beats`);
      await sleep(700);
    }
    await settle(root, "chaos");
    const verdict = judgeRun(await histories(root, "chaos", marks, ids), null);
    verdict.problems.push(...new Set(problems));
    verdict.wrongFinal += new Set(problems).size;
    for (const runner of skewed) runner.kill("SIGTERM");
    await Promise.all(skewed);
    return verdict;
  },
};
