import { readdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { RV_BIN } from "../../test/helpers/rv.ts";
import { judgeRun, type RunVerdict } from "../history.ts";
import { histories, must, type RunContext, type Scenario, settle, sleep, submitTask, taskCommand } from "../lib.ts";
import { between } from "../random.ts";

/** Starts `rv ARGS` and kills it with SIGKILL after `afterMs`, whatever it was doing. */
async function killMidway(root: string, args: string[], afterMs: number): Promise<void> {
  const child = execa(RV_BIN, args, { env: { RV_HOME: root }, reject: false, stdio: "ignore" });
  // The fault's instant is the point of the scenario: a timer, not a wait for a condition.
  await sleep(afterMs);
  child.kill("SIGKILL");
  await child;
}

/** Everything the lease lists, as the tasks to judge: a killed client acknowledged nothing, so all must be whole. */
async function listedIds(root: string, lease: string): Promise<string[]> {
  const { stdout } = await must(root, ["tasks", "--lease", lease, "--all", "--json"]);
  return (JSON.parse(stdout) as { tasks: { id: string }[] }).tasks.map((t) => t.id);
}

/** A half-written record would be quarantined in bad/ by the runner, or fail `rv tasks`: neither may happen. */
function quarantined(root: string, lease: string): string[] {
  try {
    return readdirSync(join(root, "leases", lease, "bad"));
  } catch {
    return [];
  }
}

/** After the kill the lease still takes work: one more task, acknowledged, must run. */
async function controlTask(ctx: RunContext, lease: string): Promise<string> {
  const id = await submitTask(ctx.root, { lease, marks: ctx.marks, sleepMs: 50 });
  if (!id) throw new Error("rv submit printed no id for the control task");
  return id;
}

async function judged(ctx: RunContext, lease: string, allowed: string[]): Promise<RunVerdict> {
  const ids = await listedIds(ctx.root, lease);
  const verdict = judgeRun(await histories(ctx.root, lease, ctx.marks, ids, allowed), null);
  const bad = quarantined(ctx.root, lease);
  if (bad.length > 0) {
    verdict.lost += bad.length;
    verdict.problems.push(`half-written records quarantined: ${bad.join(", ")}`);
  }
  return verdict;
}

/**
 * `rv submit` and `rv sweep` killed at a random instant: whatever they had published is whole and runs, nothing
 * half-written is ever seen, and the lease goes on taking work.
 */
export const submitKill: Scenario = {
  name: "kill -9 of rv submit, rv sweep",
  needs: "local",
  runs: { full: 30, short: 2 },
  async run(ctx) {
    await must(ctx.root, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"]);
    const sweep = ["sweep", "--lease", "chaos", ...taskCommand(ctx.marks, 20), "point", "{1..40}"];
    await killMidway(ctx.root, sweep, between(ctx.random, 0, 600));
    const submit = ["submit", "--lease", "chaos", "--name", "single", ...taskCommand(ctx.marks, 20)];
    await killMidway(ctx.root, submit, between(ctx.random, 0, 150));
    await controlTask(ctx, "chaos");
    await settle(ctx.root, "chaos");
    return judged(ctx, "chaos", ["succeeded"]);
  },
};

/**
 * `rv lease release` killed at a random instant while tasks run: released again, the lease ends released with no
 * runner, and every task has ended or waits in the queue (a released lease keeps it); none is lost.
 */
export const releaseKill: Scenario = {
  name: "kill -9 of rv lease release",
  needs: "local",
  runs: { full: 20, short: 2 },
  async run(ctx) {
    await must(ctx.root, ["lease", "up", "--local", "--name", "chaos", "--cpus", "2"]);
    await Promise.all(
      Array.from({ length: 6 }, () =>
        must(ctx.root, ["submit", "--lease", "chaos", ...taskCommand(ctx.marks, between(ctx.random, 100, 500))]),
      ),
    );
    const now = ctx.random() < 0.5 ? ["--now"] : [];
    await killMidway(ctx.root, ["lease", "release", "chaos", ...now], between(ctx.random, 0, 300));
    await must(ctx.root, ["lease", "release", "chaos", ...now, "--wait"]);
    const { stdout } = await must(ctx.root, ["lease", "ls", "--json"]);
    const lease = (JSON.parse(stdout) as { leases: { id: string; state: string; runners?: unknown[] }[] }).leases[0];
    const verdict = await judged(ctx, "chaos", ["succeeded", "pending"]);
    if (lease?.state !== "released") {
      verdict.wrongFinal++;
      verdict.problems.push(`the lease ended ${lease?.state}, not released`);
    }
    return verdict;
  },
};
