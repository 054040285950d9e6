// (g) Time to GPU under contention (issue 5): how long from asking until a job holding the GPUs runs, for
//   (a) the naive sbatch a person writes: the named type's partition, the whole time (`-p gpu-a100-80
//       --gres=gpu:a100_80g:N -t 24:00:00`),
//   (b) one multi-partition sbatch (`-p gpu-a6000,gpu-a100-80 --gres=gpu:N -t 24:00:00`),
//   (c) `rv lease up --gpu N --time 24h --detach` (the allocator: strategies raced, first to start wins),
//   (d) for N > 1, `rv lease up --gpu N --parts N --type a6000,a100_80 --time 24h --detach` (a lease of N 1-GPU
//       parts, docs/cluster.md): the time to its first part running (its first task could start) and to all N.
//       Under the churn the allocator keeps both types, so each part is one job in both partitions (`-p
//       gpu-a6000,gpu-a100-80 --gres=gpu:1`, allocator/spread.ts), started wherever a GPU frees first. The loaded
//       types only: a 1-GPU part is otherwise given an idle MIG slice (1.5 s in a trial), which measures the free
//       partition, not the parts.
//   (e) for N > 1, the same lease of parts with `--type a100_80`: every part in one partition, as every lease of
//       parts was before the spread (the peer of (d) in the same run).
//   (f) for N > 1, `rv lease up --gpu N --parts auto --type a6000,a100_80 --time 24h --detach` (a race of shapes,
//       docs/cluster.md): the lease whole, in halves and in 1-GPU parts, each spread as in (d), and the first job to
//       start decides the shape. The time to its first job running and to every job of the winning shape running.
// Two loads, one after the other:
// - churn: bench/contention.mjs keeps gpu-a6000 and gpu-a100-80 full of 1-GPU jobs of 1-3 minutes under the
//   same association (first come, first served), as in (f);
// - cliff: the seed cluster's backfill cliff on one host. In each of those partitions one node is held for 4 h by
//   a whole-node job, and a 2-node job waits for it; Slurm plans that job on both nodes in 4 h, so the other
//   node is an idle 4-hour hole: a job that ends before then may take it, a 24-hour job may not.
// The arms run one after another in each trial, each cancelled once it runs, so all of them meet the same load;
// a trial's arm is cut at `capSeconds` and then counts as that (a lower bound).
//
// A shorter run (`timeToGpuFromEnv`): RV_BENCH_TTG_ARMS=naive,multi,parts,partsOne (any of naive, multi, rv,
// parts, partsOne), RV_BENCH_TTG_GPUS=4, RV_BENCH_TTG_TRIALS=5, RV_BENCH_TTG_CLIFF=0 (no cliff load), e.g.
//   RV_BENCH_TTG_GPUS=4 RV_BENCH_TTG_ARMS=naive,parts,partsOne RV_BENCH_TTG_CLIFF=0 node bench/run.mjs --only time-to-gpu
// Such a run of the parts arms without rv's goes into latest.json beside the last whole run, as its `partsRun`
// (run.mjs, withPartsRun); any other run replaces the entry.
import { join } from "node:path";
import { partitionGpus, startContention } from "./contention.mjs";
import { isolatedEnv, log, nowMs, onCleanup, ROOT, RV, round, run, sleep, workDir } from "./lib.mjs";

export const TARGET_RATIO = 1 / 3;
const DEV_CLUSTER = process.env.RV_CLUSTER_STATE ?? "/var/lib/rv-devcluster";
const PREFIX = `rvttg-${process.pid}`;

const NODES = { "gpu-a6000": ["a6000-01", "a6000-02"], "gpu-a100-80": ["a100-01", "a100-02"] };

/** Every arm; `parts`, `partsOne` and `shapes` run for N > 1 only. */
export const ARMS = ["naive", "multi", "rv", "parts", "partsOne", "shapes"];
const PARTS_ARMS = ["parts", "partsOne", "shapes"];

/** The options of a run, with the RV_BENCH_TTG_* variables (header) over `defaults`. */
export function timeToGpuFromEnv(defaults, env = process.env) {
  const list = (text) => text.split(",").filter(Boolean);
  const arms = env.RV_BENCH_TTG_ARMS ? list(env.RV_BENCH_TTG_ARMS) : (defaults.arms ?? ARMS);
  const unknown = arms.filter((a) => !ARMS.includes(a));
  if (unknown.length) throw new Error(`RV_BENCH_TTG_ARMS: no arm ${unknown.join(", ")} (${ARMS.join(", ")})`);
  return {
    ...defaults,
    arms,
    ...(env.RV_BENCH_TTG_GPUS && { gpus: list(env.RV_BENCH_TTG_GPUS).map(Number) }),
    ...(env.RV_BENCH_TTG_TRIALS && { trials: Number(env.RV_BENCH_TTG_TRIALS) }),
    ...(env.RV_BENCH_TTG_CLIFF === "0" && { cliff: null }),
  };
}

export async function runTimeToGpu({
  trials = 3,
  gpus = [1, 4],
  capSeconds = 240,
  cliff = { trials: 3, gpus: [4], capSeconds: 120 },
  arms = ARMS,
} = {}) {
  log(`\n[time-to-gpu] ${trials} trial(s) of ${gpus.join(" and ")} GPU(s): ${arms.join(", ")}`);
  await run(join(ROOT, "test", "cluster", "up.sh"), []);
  const work = workDir("time-to-gpu");
  try {
    const rv = await initLaptop(work.dir);
    const churn = await underChurn(rv, { trials, gpus, capSeconds, arms });
    // cliff: null, a reduced run under the churn alone
    const cliffed = cliff ? await underCliff(rv, { ...cliff, arms }) : null;
    return { ...churn, cliff: cliffed, target: { met: churn.target.met && (cliffed?.target.met ?? true) } };
  } finally {
    await work.dispose();
  }
}

/**
 * The churn: 1-GPU jobs of 1-3 minutes, 3-4 of them always pending, keep gpu-a6000 and gpu-a100-80 full, under the
 * benchmark's own association (first come, first served). Also the load of bench/shapes.mjs.
 */
export function startChurn(prefix) {
  return Object.keys(NODES).map((partition) =>
    startContention({
      partition,
      pending: [3, 4],
      gpus: [1, 1],
      lengthSeconds: [60, 180],
      everyMs: 3000,
      name: `${prefix}-load-${partition}`,
      as: { user: "root", account: "lab" },
    }),
  );
}

async function underChurn(rv, { trials, gpus, capSeconds, arms }) {
  const loads = startChurn(PREFIX);
  try {
    await Promise.all(loads.map((l) => l.ready()));
    const started = nowMs();
    const results = await trialsOf(rv, { trials, gpus, capSeconds, arms, tag: "churn", settle: churnRefilled });
    const contention = loads.map((l) => l.snapshot(started));
    return summarize(results, contention, { trials, capSeconds, arms });
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
  }
}

async function underCliff(rv, { trials, gpus, capSeconds, arms }) {
  log(`  cliff: ${trials} trial(s) of ${gpus.join(" and ")} GPU(s), cut at ${capSeconds} s`);
  const held = await holdCliff();
  try {
    const results = await trialsOf(rv, { trials, gpus, capSeconds, arms, tag: "cliff", settle: async () => {} });
    return summarize(results, held.setup, { trials, capSeconds, arms });
  } finally {
    await run("scancel", held.ids, { allowFail: true });
  }
}

/**
 * One node of each partition held for 4 h, and a 2-node job of the partition waiting for it: returns once Slurm
 * has planned that job (its start time is known), so the hole on the other node is in Slurm's plan.
 */
async function holdCliff() {
  const ids = [];
  const sbatch = async (args) => {
    const { stdout } = await run("sbatch", ["--parsable", "-A", "lab", "-o", "/dev/null", ...args]);
    ids.push(stdout.trim().split(";")[0]);
    return ids.at(-1);
  };
  const setup = [];
  for (const [partition, [held]] of Object.entries(NODES)) {
    const long = await sbatch([
      ...["-J", `${PREFIX}-cliff-long`, "-p", partition, "-w", held, "--gres=gpu:4"],
      ...["-t", "4:00:00", "--wrap", "sleep 14400"],
    ]);
    await until(`job ${long} running`, async () => (await squeueField(long, "%T")) === "RUNNING");
    const big = await sbatch([
      ...["-J", `${PREFIX}-cliff-big`, "-p", partition, "-N", "2", "--gres=gpu:4"],
      ...["-t", "4:00:00", "--wrap", "sleep 60"],
    ]);
    await until(`job ${big} planned`, async () => /^\d{4}-/.test(await squeueField(big, "%S")));
    setup.push({ partition, heldNode: held, bigJobStart: await squeueField(big, "%S") });
  }
  return { ids, setup };
}

async function squeueField(id, format) {
  return (await run("squeue", ["-h", "-j", id, "-o", format], { allowFail: true })).stdout.trim();
}

async function until(what, check, timeoutMs = 60_000) {
  const t0 = nowMs();
  while (!(await check())) {
    if (nowMs() - t0 > timeoutMs) throw new Error(`time-to-gpu: waited ${timeoutMs / 1000} s for ${what}`);
    await sleep(1000);
  }
}

/**
 * Before each arm: the GPUs the last arm freed (its job cancelled once it ran, or cut while Slurm held GPUs idle for
 * it) are taken by the churn again. Without this wait the next arm found them free: an arm cut while it waited
 * left a drained node to whichever arm came next.
 */
export async function churnRefilled() {
  await until(
    "the churn to fill both partitions again",
    async () => {
      const gpus = await Promise.all(Object.keys(NODES).map((p) => partitionGpus(p)));
      return gpus.every((g) => g.total > 0 && g.allocated >= g.total);
    },
    180_000,
  );
}

async function trialsOf(rv, { trials, gpus, capSeconds, arms, tag, settle }) {
  const results = [];
  for (const n of gpus) {
    const runs = {
      naive: () => sbatchArm(`${PREFIX}-naive`, ["-p", "gpu-a100-80", `--gres=gpu:a100_80g:${n}`], capSeconds),
      multi: () => sbatchArm(`${PREFIX}-multi`, ["-p", "gpu-a6000,gpu-a100-80", `--gres=gpu:${n}`], capSeconds),
      rv: (trial) => rvArm(rv, `${PREFIX}-${tag}-${n}-${trial}`, n, capSeconds),
      parts: (trial) => partsArm(rv, `${PREFIX}-${tag}-p${n}-${trial}`, n, "a6000,a100_80", capSeconds),
      partsOne: (trial) => partsArm(rv, `${PREFIX}-${tag}-q${n}-${trial}`, n, "a100_80", capSeconds),
      shapes: (trial) => shapesArm(rv, `${PREFIX}-${tag}-s${n}-${trial}`, n, "a6000,a100_80", capSeconds),
    };
    const these = arms.filter((a) => n > 1 || !PARTS_ARMS.includes(a));
    const byArm = Object.fromEntries(these.map((a) => [a, []]));
    for (let trial = 0; trial < trials; trial++) {
      for (const arm of these) {
        await settle();
        byArm[arm].push(await runs[arm](trial));
      }
      log(`  ${tag}, ${n} GPU(s), trial ${trial + 1}: ${these.map((a) => describeArm(a, byArm[a].at(-1))).join(", ")}`);
    }
    const med = (xs) => median(xs.map((x) => x.seconds));
    const medians = Object.fromEntries(these.map((a) => [a, med(byArm[a])]));
    if (byArm.parts) medians.partsAll = median(byArm.parts.map((x) => x.all));
    if (byArm.partsOne) medians.partsOneAll = median(byArm.partsOne.map((x) => x.all));
    if (byArm.shapes) medians.shapesAll = median(byArm.shapes.map((x) => x.all));
    results.push({ gpus: n, arms: byArm, median: medians });
  }
  return results;
}

function describeArm(arm, x) {
  if (arm === "rv") return `rv ${x.seconds} s (${x.strategy})`;
  if (arm === "parts" || arm === "partsOne") {
    return `${arm} (${x.partition}): first ${x.seconds} s, all ${x.all} s, started in ${x.startedIn.join(" ")}`;
  }
  if (arm === "shapes") return `shapes: first ${x.seconds} s, all ${x.all} s as ${x.shape}`;
  return `${arm} ${x.seconds} s`;
}

export function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid] : round((sorted[mid - 1] + sorted[mid]) / 2, 1);
}

/** Ratios against the naive job, of the arms that ran; `met`: rv's target, null when the rv arm did not run. */
function summarize(results, contention, params) {
  const ratio = (a, b) => (a === undefined || b === undefined ? undefined : round(a / Math.max(1, b), 3));
  const rows = results.map(({ gpus, median: m }) => ({
    gpus,
    ...m,
    ratioNaive: ratio(m.rv, m.naive),
    ratioMulti: ratio(m.rv, m.multi),
    ratioPartsNaive: ratio(m.parts, m.naive),
    ratioPartsAllNaive: ratio(m.partsAll, m.naive),
    ratioPartsOneNaive: ratio(m.partsOne, m.naive),
    ratioPartsOneAllNaive: ratio(m.partsOneAll, m.naive),
    ratioShapesNaive: ratio(m.shapes, m.naive),
    ratioShapesAllNaive: ratio(m.shapesAll, m.naive),
    met: m.rv === undefined || m.naive === undefined ? null : m.rv <= m.naive * TARGET_RATIO,
    // issue 18: a lease of parts's first part within 1/3 of the naive job's wait, and all of them within it
    partsMet:
      m.parts === undefined || m.naive === undefined
        ? undefined
        : m.parts <= m.naive * TARGET_RATIO && m.partsAll <= m.naive,
  }));
  // JSON leaves the ratios of arms that did not run out; a run without the rv arm says nothing of its target
  const met = rows.some((r) => r.met === null) ? null : rows.every((r) => r.met);
  return { params, rows, results, contention, target: { met } };
}

async function initLaptop(dir) {
  const home = join(dir, "home");
  const root = join(dir, "cluster-root");
  const env = isolatedEnv({ RV_HOME: home, NO_COLOR: "1" });
  await run(
    RV,
    [
      ...["init", "--yes", "--host", "127.0.0.1", "--port", "2222", "--user", "root", "--name", "ttg"],
      ...["--identity-file", join(DEV_CLUSTER, "ssh", "id_ed25519"), "--account", "lab", "--root", root],
      ...["--profile", "devcluster"],
    ],
    { env },
  );
  onCleanup(() => run("ssh", ["-F", join(home, "ssh", "config"), "-O", "exit", "rv-ttg"], { allowFail: true }));
  return (args, options = {}) => run(RV, args, { env, ...options });
}

/** Submits, polls squeue every second until the job runs (or the cap), cancels it. Seconds from submit to running. */
async function sbatchArm(name, args, capSeconds) {
  const t0 = nowMs();
  const { stdout } = await run("sbatch", [
    ...["--parsable", "-J", name, "-A", "lab", "-t", "24:00:00", "-o", "/dev/null", ...args, "--wrap", "sleep 600"],
  ]);
  const id = stdout.trim().split(";")[0];
  try {
    const seconds = await untilRunning(t0, capSeconds, async () => {
      const out = await run("squeue", ["-h", "-j", id, "-o", "%T"], { allowFail: true });
      return out.stdout.trim() === "RUNNING";
    });
    return { seconds, capped: seconds >= capSeconds };
  } finally {
    await run("scancel", [id], { allowFail: true });
  }
}

/** `rv lease up --detach`, then squeue until a job of the lease runs; which strategy won, from lease show. */
async function rvArm(rv, lease, gpus, capSeconds) {
  const t0 = nowMs();
  await rv(["lease", "up", "--gpu", String(gpus), "--time", "24h", "--name", lease, "--detach"]);
  try {
    const seconds = await untilRunning(t0, capSeconds, async () => {
      const out = await run("squeue", ["-h", "-n", `rv-${lease}-0`, "-t", "RUNNING", "-o", "%i"], { allowFail: true });
      return out.stdout.trim() !== "";
    });
    const race = seconds < capSeconds ? await raceOnceWon(rv, lease) : [];
    const won = race.find((r) => r.state === "won")?.strategyId ?? "none";
    return { seconds, capped: seconds >= capSeconds, strategy: won, racers: race.length };
  } finally {
    await rv(["lease", "release", lease, "--now"], { allowFail: true });
  }
}

/**
 * `rv lease up --gpu N --parts N --type TYPES --detach`, then squeue until the first part's job runs (the lease's
 * first task could start) and until every part's does. Seconds from asking to each (the cap when not reached), the
 * partitions the lease asks, and those its parts started in, in the order they started.
 */
async function partsArm(rv, lease, gpus, types, capSeconds) {
  const t0 = nowMs();
  await rv([
    ...["lease", "up", "--gpu", String(gpus), "--parts", String(gpus), "--type", types],
    ...["--time", "24h", "--name", lease, "--detach"],
  ]);
  const names = Array.from({ length: gpus }, (_, n) => `rv-${lease}-${n}`).join(",");
  const startedIn = new Map(); // job -> its partition, in the order seen running
  const running = async () => {
    const { stdout } = await run("squeue", ["-h", "-n", names, "-t", "RUNNING", "-o", "%i %P"], { allowFail: true });
    for (const [id, partition] of stdout
      .split("\n")
      .filter((l) => l.trim())
      .map((l) => l.trim().split(/\s+/))) {
      if (!startedIn.has(id)) startedIn.set(id, partition);
    }
    return startedIn.size;
  };
  try {
    const seconds = await untilRunning(t0, capSeconds, async () => (await running()) > 0);
    const all = await untilRunning(t0, capSeconds, async () => (await running()) >= gpus);
    const shown = JSON.parse((await rv(["lease", "show", lease, "--json"], { allowFail: true })).stdout || "{}");
    const partition = shown.lease?.request?.partition ?? "?";
    return { seconds, all, capped: all >= capSeconds, partition, startedIn: [...startedIn.values()] };
  } finally {
    await rv(["lease", "release", lease, "--now"], { allowFail: true });
  }
}

/**
 * `rv lease up --gpu N --parts auto --type TYPES --detach`, then until a job of the race runs (the first GPU), and
 * until every job of the shape that won runs (all N): seconds from asking to each (the cap when not reached), and
 * the shape that won (`4x1`: four parts of one GPU).
 */
async function shapesArm(rv, lease, gpus, types, capSeconds) {
  const t0 = nowMs();
  await rv([
    ...["lease", "up", "--gpu", String(gpus), "--parts", "auto", "--type", types],
    ...["--time", "24h", "--name", lease, "--detach"],
  ]);
  const names = Array.from({ length: gpus }, (_, n) => `rv-${lease}-${n}`).join(",");
  let shape = "none";
  const allRunning = async () => {
    const shown = JSON.parse((await rv(["lease", "show", lease, "--json"], { allowFail: true })).stdout || "{}");
    if (!(shown.race ?? []).some((r) => r.state === "won")) return false;
    const parts = shown.lease?.request?.parts ?? 1;
    shape = `${parts}x${gpus / parts}`;
    const running = (shown.parts ?? [{ state: shown.phase?.kind === "running" ? "RUNNING" : "" }]).filter(
      (p) => p.state === "RUNNING",
    );
    return running.length >= parts;
  };
  try {
    const seconds = await untilRunning(t0, capSeconds, async () => {
      const out = await run("squeue", ["-h", "-n", names, "-t", "RUNNING", "-o", "%i"], { allowFail: true });
      return out.stdout.trim() !== "";
    });
    const all = await untilRunning(t0, capSeconds, allRunning);
    return { seconds, all, capped: all >= capSeconds, shape };
  } finally {
    await rv(["lease", "release", lease, "--now"], { allowFail: true });
  }
}

/** The race's rows once a job has claimed the lease (a few seconds after it runs), or as they are after 20 s. */
async function raceOnceWon(rv, lease) {
  let race = [];
  for (let i = 0; i < 20; i++) {
    const shown = await rv(["lease", "show", lease, "--json"], { allowFail: true });
    race = JSON.parse(shown.stdout || "{}").race ?? [];
    if (race.some((r) => r.state === "won")) break;
    await sleep(1000);
  }
  return race;
}

async function untilRunning(t0, capSeconds, running) {
  while ((nowMs() - t0) / 1000 < capSeconds) {
    if (await running()) return round((nowMs() - t0) / 1000, 1);
    await sleep(1000);
  }
  return capSeconds;
}
