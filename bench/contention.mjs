// A load generator for the dev cluster: "other users'" jobs that keep one GPU partition busy, so that a
// benchmark sees a queue instead of an idle cluster. The jobs are light (`sleep`), but they hold real Slurm
// GPUs. By default they are submitted as the unprivileged `labuser` (account research) with runuser, so they
// compete with the benchmark's own jobs (root, account lab) by fairshare, as another lab's jobs would. That
// order is not steady: fair tree ranks associations, so whichever accrued more usage goes last, and the
// order flips within minutes. `as: { user: "root", account: "lab" }` submits the load under the benchmark's own
// association instead: equal fairshare, so jobs start first come, first served (what the measurements in
// notes/allocation-under-contention.md used).
//
//   node bench/contention.mjs [--partition gpu-a6000] [--seconds 300] [--as root:lab]   run it alone
//
// Policy, every `everyMs`: top the generator's pending jobs up to a target drawn anew from `pending` (1-3 by
// default). Pending jobs start as soon as GPUs free up, so the partition fills and then stays full, and a job
// of someone else finds 1-3 of these ahead of it or beside it (whichever Slurm's priority puts first).
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { log, nowMs, onCleanup, round, run, sleep } from "./lib.mjs";

const OTHER_LAB = { user: "labuser", account: "research" };

/** A random integer in [lo, hi]. */
function between([lo, hi]) {
  return lo + Math.floor(Math.random() * (hi - lo + 1));
}

/** GPUs of a partition, total and allocated (sinfo per node: `gpu:a6000:4` and `gpu:a6000:3(IDX:0-2)`). */
export async function partitionGpus(partition) {
  const { stdout } = await run("sinfo", ["-h", "-N", "-p", partition, "-O", "NodeList:40,Gres:60,GresUsed:80"]);
  let total = 0;
  let allocated = 0;
  for (const line of stdout.split("\n").filter((l) => l.trim())) {
    const [, gres = "", used = ""] = line.trim().split(/\s+/);
    total += gres.split(",").reduce((sum, g) => sum + (Number(/^gpu:(?:[^:(]+:)?(\d+)/.exec(g)?.[1]) || 0), 0);
    allocated += used.split(",").reduce((sum, g) => sum + (Number(/^gpu:(?:[^:(]+:)?(\d+)/.exec(g)?.[1]) || 0), 0);
  }
  return { total, allocated };
}

/** Jobs pending in a partition, everyone's (what a newcomer queues behind or beside). */
async function pendingInPartition(partition) {
  const { stdout } = await run("squeue", ["-h", "-p", partition, "-t", "PENDING", "-o", "%i"]);
  return stdout.split("\n").filter((l) => l.trim()).length;
}

/**
 * Starts the generator. Returns `ready(timeoutMs)` (resolves once the partition is full with a backlog),
 * `snapshot()` (its statistics so far) and `stop()` (scancel of its jobs, by their unique name).
 */
export function startContention({
  partition = "gpu-a6000",
  pending = [1, 3],
  gpus = [1, 2],
  lengthSeconds = [30, 120],
  everyMs = 2000,
  name = `rvbench-load-${process.pid}`,
  as: { user: USER, account: ACCOUNT } = OTHER_LAB,
} = {}) {
  const jobs = new Map(); // id -> { gpus, seconds }
  const samples = []; // { at, allocated, total, pendingAll }
  let stopped = false;
  let submitFailures = 0;
  let lastError = null;

  const submit = async () => {
    const g = between(gpus);
    const seconds = between(lengthSeconds);
    // Users ask for more than they need: a limit 30-90 s above the run time, so backfill has real gaps to plan.
    const minutes = Math.ceil((seconds + 30) / 60);
    const result = await run(
      "runuser",
      [
        ...["-u", USER, "--", "sbatch", "--parsable", "--job-name", name, "--partition", partition],
        ...["--account", ACCOUNT, `--gres=gpu:${g}`, "--time", String(minutes), "--chdir", "/tmp"],
        ...["--output", "/dev/null", "--wrap", `sleep ${seconds}`],
      ],
      { allowFail: true },
    );
    if (result.code === 0) jobs.set(result.stdout.trim().split(";")[0], { gpus: g, seconds });
    else {
      submitFailures++;
      lastError = result.stderr.trim().slice(0, 300);
    }
  };

  const ours = async () => {
    const { stdout } = await run("squeue", ["-h", "-u", USER, "-n", name, "-o", "%i %T"], { allowFail: true });
    const states = stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => l.trim().split(/\s+/)[1]);
    return { pending: states.filter((s) => s === "PENDING").length, live: states.length };
  };

  const tick = async () => {
    const mine = await ours();
    const target = between(pending);
    for (let i = mine.pending; i < target && !stopped; i++) await submit();
    const gpusNow = await partitionGpus(partition);
    samples.push({ at: nowMs(), ...gpusNow, pendingAll: await pendingInPartition(partition) });
  };

  const loop = (async () => {
    while (!stopped) {
      const t0 = nowMs();
      try {
        await tick();
      } catch (error) {
        lastError = error instanceof Error ? error.message : String(error);
      }
      await sleep(Math.max(0, everyMs - (nowMs() - t0)));
    }
  })();

  const stop = async () => {
    stopped = true;
    await loop;
    // Only this generator's jobs: its unique name, and its user's.
    await run("scancel", ["--user", USER, "--name", name], { allowFail: true });
  };
  const unregister = onCleanup(stop);

  /** Statistics over the samples taken since `sinceMs` (default: all). */
  const snapshot = (sinceMs = 0) => {
    const s = samples.filter((x) => x.at >= sinceMs);
    const mean = (f) => (s.length ? round(s.reduce((a, x) => a + f(x), 0) / s.length, 2) : null);
    const total = s.at(-1)?.total ?? null;
    const lengths = [...jobs.values()].map((j) => j.seconds);
    return {
      partition,
      user: USER,
      account: ACCOUNT,
      jobName: name,
      gpusPerJob: gpus,
      lengthSeconds,
      pendingTarget: pending,
      samples: s.length,
      totalGpus: total,
      meanAllocatedGpus: mean((x) => x.allocated),
      fullShare: s.length ? round(s.filter((x) => x.allocated >= x.total).length / s.length, 2) : null,
      meanPendingAll: mean((x) => x.pendingAll),
      jobsSubmitted: jobs.size,
      meanJobSeconds: lengths.length ? round(lengths.reduce((a, b) => a + b, 0) / lengths.length, 0) : null,
      submitFailures,
      lastError,
    };
  };

  /** Resolves once every GPU of the partition is allocated and a job waits; throws after `timeoutMs`. */
  const ready = async (timeoutMs = 180_000) => {
    const deadline = nowMs() + timeoutMs;
    while (nowMs() < deadline) {
      const last = samples.at(-1);
      if (last && last.total > 0 && last.allocated >= last.total && last.pendingAll >= 1) return;
      await sleep(500);
    }
    throw new Error(
      `the load generator did not fill ${partition} within ${timeoutMs / 1000} s: ${JSON.stringify(snapshot())}`,
    );
  };

  return {
    name,
    ready,
    snapshot,
    stop: async () => {
      unregister();
      await stop();
    },
  };
}

/** Fairshare factor of each association (`sshare`): who Slurm puts first when both wait. */
export function fairshare() {
  const result = spawnSync("sshare", ["-P", "-n", "-a", "-o", "Account,User,FairShare"], { encoding: "utf8" });
  const out = {};
  for (const line of (result.stdout ?? "").split("\n")) {
    const [account, user, factor] = line.trim().split("|");
    if (account && user && factor) out[`${account}/${user}`] = Number(factor);
  }
  return out;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  const opt = (flag, fallback) => (args.includes(flag) ? args[args.indexOf(flag) + 1] : fallback);
  const [user, account] = opt("--as", "labuser:research").split(":");
  const load = startContention({ partition: opt("--partition", "gpu-a6000"), as: { user, account } });
  const seconds = Number(opt("--seconds", "300"));
  const stopAndExit = () => load.stop().finally(() => process.exit(130));
  process.on("SIGINT", stopAndExit);
  process.on("SIGTERM", stopAndExit);
  const t0 = nowMs();
  while (nowMs() - t0 < seconds * 1000) {
    await sleep(10_000);
    log(
      JSON.stringify({
        t: round((nowMs() - t0) / 1000, 0),
        ...load.snapshot(nowMs() - 10_000),
        fairshare: fairshare(),
      }),
    );
  }
  await load.stop();
}
