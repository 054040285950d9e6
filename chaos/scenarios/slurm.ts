import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { initLaptop, scancelByName } from "../../test/helpers/cluster.ts";
import { RV_BIN } from "../../test/helpers/rv.ts";
import { waitFor } from "../../test/helpers/wait.ts";
import { judgeRun, type RunVerdict } from "../history.ts";
import { histories, must, type RunContext, rv, type Scenario, settle, sleep, submitTask, submittedId } from "../lib.ts";
import { between } from "../random.ts";

/** A laptop home with the dev cluster set up (as root), its cluster root beside it. */
async function laptopFor(ctx: RunContext): Promise<{ laptop: string; lease: string }> {
  const laptop = join(ctx.root, "laptop");
  mkdirSync(laptop);
  await initLaptop(laptop, join(ctx.root, "cluster"), "chaos");
  return { laptop, lease: `chaos-${ctx.seed}-${process.pid % 10_000}` };
}

/** A CPU lease on the `standard` partition, chain renewal, long segments: faults, not renewals, end them. */
async function leaseUp(laptop: string, lease: string): Promise<void> {
  await must(laptop, [
    ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "2", "--segment", "10m", "--time", "1h"],
    ...["--name", lease],
  ]);
}

async function submitAll(ctx: RunContext, laptop: string, lease: string, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const sleepMs = between(ctx.random, 2000, 6000);
    const id = await submitTask(laptop, { lease, marks: ctx.marks, sleepMs, cpus: 1 });
    if (id) ids.push(id);
  }
  return ids;
}

async function runningSegment(lease: string): Promise<{ id: string; node: string }> {
  return waitFor(
    async () => {
      const out = (await execa("squeue", ["-h", "-t", "RUNNING", "-o", "%i|%j|%N"])).stdout;
      const line = out.split("\n").find((l) => new RegExp(`\\|rv-${lease}-\\d+\\|`).test(l));
      const [id = "", , node = ""] = line?.split("|") ?? [];
      return id ? { id, node } : null;
    },
    { what: `a running segment of ${lease}`, timeoutMs: 120_000, intervalMs: 500 },
  );
}

async function restartSlurmctld(): Promise<void> {
  await execa("pkill", ["-x", "slurmctld"], { reject: false });
  await waitFor(async () => (await execa("pgrep", ["-x", "slurmctld"], { reject: false })).exitCode !== 0, {
    what: "slurmctld to stop",
  });
  await execa("/usr/sbin/slurmctld");
  await waitFor(async () => (await execa("scontrol", ["ping"], { reject: false })).stdout.includes("UP"), {
    what: "slurmctld to answer",
    timeoutMs: 60_000,
  });
}

type Fault = "scancel" | "node DOWN" | "slurmctld restart";

async function inject(fault: Fault, segment: { id: string; node: string }): Promise<() => Promise<void>> {
  if (fault === "scancel") await execa("scancel", [segment.id]);
  if (fault === "slurmctld restart") await restartSlurmctld();
  if (fault === "node DOWN") {
    await execa("scontrol", ["update", `NodeName=${segment.node}`, "State=DOWN", "Reason=rv-chaos"]);
    return async () => {
      await execa("scontrol", ["update", `NodeName=${segment.node}`, "State=RESUME"], { reject: false });
    };
  }
  return async () => {};
}

/**
 * A lease's running segment hit by a fault Slurm users meet: its job cancelled, its node set DOWN, or slurmctld
 * restarted, while six tasks queue and run. With nobody looking, the lease heals (watchdog, successor) and every
 * task ends well, none twice at once; recovery is the time from the fault to the next attempt of a task it hit.
 */
export const segmentFaults: Scenario = {
  name: "segment faults: scancel, node DOWN, slurmctld restart",
  needs: "cluster",
  runs: { full: 3, short: 1 },
  async run(ctx) {
    const faults: Fault[] = ["scancel", "node DOWN", "slurmctld restart"];
    const fault = faults[(ctx.seed - 1) % faults.length] as Fault;
    const { laptop, lease } = await laptopFor(ctx);
    let undo = async () => {};
    try {
      await leaseUp(laptop, lease);
      const ids = await submitAll(ctx, laptop, lease, 6);
      const segment = await runningSegment(lease);
      await waitFor(
        async () =>
          String((await rv(laptop, ["tasks", "--lease", lease, "--state", "running", "--json"])).stdout).includes(
            '"id"',
          ),
        {
          what: "a task to run",
          timeoutMs: 120_000,
          intervalMs: 500,
        },
      );
      const faultAtMs = Date.now();
      undo = await inject(fault, segment);
      await settle(laptop, lease, "600s");
      const verdict = judgeRun(await histories(laptop, lease, ctx.marks, ids), faultAtMs);
      verdict.problems = verdict.problems.map((p) => `${fault}: ${p}`);
      return verdict;
    } finally {
      await undo();
      await rv(laptop, ["lease", "release", lease, "--now"]);
      await scancelByName([0, 1, 2, 3, 4].map((n) => `rv-${lease}-${n}`));
    }
  },
};

/**
 * The ssh control master killed while `rv wait` and `rv logs -f` follow a cluster task: both carry on over a new
 * connection, `rv wait` ends with the task's status and `rv logs -f` shows every line the task printed.
 */
export const controlMasterKill: Scenario = {
  name: "ssh control master killed during rv wait, rv logs -f",
  needs: "cluster",
  runs: { full: 5, short: 1 },
  async run(ctx) {
    const { laptop, lease } = await laptopFor(ctx);
    try {
      await leaseUp(laptop, lease);
      const script = 'for i in 1 2 3 4 5 6 7 8; do echo "line $i"; sleep 1; done';
      const out = await must(laptop, ["submit", "--json", "--lease", lease, "--", "sh", "-c", script]);
      const id = submittedId(out.stdout) ?? "?";
      const env = { RV_HOME: laptop, NO_COLOR: "1" };
      const waiting = execa(RV_BIN, ["wait", id, "--timeout", "120s"], { env, reject: false, stdin: "ignore" });
      const following = execa(RV_BIN, ["logs", "-f", id], { env, reject: false, stdin: "ignore" });
      await sleep(between(ctx.random, 1500, 5000));
      const check = await execa("ssh", ["-F", join(laptop, "ssh", "config"), "-O", "check", "rv-chaos"], {
        reject: false,
      });
      const master = /pid=(\d+)/.exec(check.stderr)?.[1];
      const faultAtMs = Date.now();
      if (master) process.kill(Number(master), "SIGKILL");
      const [waited, followed] = await Promise.all([waiting, following]);
      const verdict: RunVerdict = judgeRun([], faultAtMs);
      verdict.tasks = 1;
      const lines = String(followed.stdout)
        .split("\n")
        .filter((l) => /^line \d$/.test(l));
      if (!master) verdict.problems.push("no control master was running to kill");
      if (waited.exitCode !== 0)
        verdict.problems.push(`rv wait exited ${waited.exitCode}: ${String(waited.stderr).trim()}`);
      if (followed.exitCode !== 0 || lines.length !== 8) {
        verdict.problems.push(
          `rv logs -f exited ${followed.exitCode} with ${lines.length} of 8 lines: ${String(followed.stderr).trim()}`,
        );
      }
      verdict.wrongFinal = verdict.problems.length;
      return verdict;
    } finally {
      await rv(laptop, ["lease", "release", lease, "--now"]);
      await scancelByName([0, 1].map((n) => `rv-${lease}-${n}`));
      await execa("ssh", ["-F", join(laptop, "ssh", "config"), "-O", "exit", "rv-chaos"], { reject: false });
    }
  },
};

async function jobsOf(lease: string): Promise<string[]> {
  const out = (await execa("squeue", ["-h", "-o", "%j"])).stdout;
  return out.split("\n").filter((name) => name.startsWith(`rv-${lease}-`));
}

/**
 * `rv lease up` killed at a random instant of its race (strategies submitted, one starting, the others being
 * cancelled). Afterwards the lease is in a state rv recovers from with nobody looking: either it never existed
 * and nothing of it is queued, or it comes up by itself (its race's watchdog, its winner's runner); and
 * `rv lease release` then leaves nothing in squeue.
 */
export const leaseUpKill: Scenario = {
  name: "kill -9 of rv lease up mid-race",
  needs: "cluster",
  runs: { full: 5, short: 1 },
  async run(ctx) {
    const { laptop, lease } = await laptopFor(ctx);
    const problems: string[] = [];
    const args = ["lease", "up", "--gpu", "1", "--time", "30m", "--segment", "10m", "--name", lease];
    const up = execa(RV_BIN, args, { env: { RV_HOME: laptop }, reject: false, stdio: "ignore" });
    // The fault's instant is the point of the scenario: a timer, not a wait for a condition.
    await sleep(between(ctx.random, 300, 4000));
    up.kill("SIGKILL");
    await up;
    const faultAtMs = Date.now();
    let recoveryMs: number | null = null;
    try {
      const shown = await rv(laptop, ["lease", "show", lease, "--json"]);
      if (shown.exitCode === 0) {
        await waitFor(
          async () => {
            const view = JSON.parse(String((await rv(laptop, ["lease", "show", lease, "--json"])).stdout)) as {
              runners: { health: string }[];
            };
            return view.runners.some((r) => r.health === "ok");
          },
          { what: `lease ${lease} to come up by itself`, timeoutMs: 180_000, intervalMs: 1000 },
        ).then(
          () => {
            recoveryMs = Date.now() - faultAtMs;
          },
          (error: Error) => problems.push(error.message),
        );
      } else if ((await jobsOf(lease)).length > 0) {
        await sleep(5000);
        const left = await jobsOf(lease);
        if (left.length > 0) problems.push(`no lease ${lease}, yet its jobs are queued: ${left.join(", ")}`);
      }
    } finally {
      await rv(laptop, ["lease", "release", lease, "--now"]);
      await waitFor(async () => (await jobsOf(lease)).length === 0, {
        what: `lease ${lease}'s jobs to leave squeue after release`,
        timeoutMs: 90_000,
        intervalMs: 1000,
      }).catch((error: Error) => problems.push(error.message));
      await scancelByName([0, 1, 2, 3].map((n) => `rv-${lease}-${n}`));
    }
    const verdict = judgeRun([], null);
    verdict.recoveryMs = recoveryMs;
    verdict.problems = problems;
    verdict.wrongFinal = problems.length;
    return verdict;
  },
};
