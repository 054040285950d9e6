import { judgeRun } from "../history.ts";
import { histories, must, type Scenario, settle, startRunner, submitTask } from "../lib.ts";

/**
 * Eight submitters at once, each publishing its tasks one `rv submit` at a time, into one lease that three runners
 * serve: every acknowledged task runs exactly once at a time and ends well.
 */
export const concurrentSubmitters: Scenario = {
  name: "8 submitters x 250 tasks, 3 runners",
  needs: "local",
  runs: { full: 1, short: 1 },
  async run({ root, marks, short }) {
    const perSubmitter = short ? 10 : 250;
    await must(root, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"]);
    const extra = [1, 2].map(() => startRunner(root, "chaos"));
    const submitter = async () => {
      const ids: string[] = [];
      for (let i = 0; i < perSubmitter; i++) {
        const id = await submitTask(root, { lease: "chaos", marks, sleepMs: 0, cpus: 1 });
        if (id) ids.push(id);
      }
      return ids;
    };
    const ids = (await Promise.all(Array.from({ length: 8 }, submitter))).flat();
    await settle(root, "chaos", "600s");
    const verdict = judgeRun(await histories(root, "chaos", marks, ids), null);
    if (ids.length !== 8 * perSubmitter) {
      verdict.lost += 8 * perSubmitter - ids.length;
      verdict.problems.push(`${8 * perSubmitter - ids.length} submits printed no id`);
    }
    for (const runner of extra) runner.kill("SIGTERM");
    await Promise.all(extra);
    return verdict;
  },
};
