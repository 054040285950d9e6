// `npm run bench` (= npm run build && node bench/run.mjs): runs every benchmark of rv one after the other
// (never two at once: the machine has 2 cores), writes bench/results/latest.json and regenerates
// docs/benchmarks.md from it.
//
//   node bench/run.mjs                      the full run; writes latest.json and docs/benchmarks.md
//   node bench/run.mjs --only submit,tasks  some benchmarks: their results replace those in latest.json, each
//                                           keeping when and at which commit it ran; docs/benchmarks.md is
//                                           rewritten once latest.json holds every benchmark, none failed
//   node bench/run.mjs --quick              small sizes, to try the harness; writes partial.json only
//   RV_BENCH_TTG_GPUS=4 RV_BENCH_TTG_ARMS=naive,parts node bench/run.mjs --only time-to-gpu
//                                           some arms and sizes of (g) (bench/time-to-gpu.mjs)
//   node bench/report.mjs                   regenerates docs/benchmarks.md from latest.json
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, release, tmpdir, totalmem } from "node:os";
import { join } from "node:path";
import { runDispatch } from "./dispatch.mjs";
import { runHistory } from "./history.mjs";
import { runLeaseSweep } from "./lease-sweep.mjs";
import {
  cleanupAll,
  commandVersion,
  log,
  machineBusyPercent,
  ROOT,
  RV,
  removeWorkDirs,
  requireBinary,
  round,
  watchForeignCpu,
} from "./lib.mjs";
import { runRemote } from "./remote.mjs";
import { writeReport } from "./report.mjs";
import { runStartup } from "./startup.mjs";
import { runSubmit } from "./submit.mjs";
import { runTasks } from "./tasks.mjs";
import { runThroughput } from "./throughput.mjs";
import { runTimeToGpu, timeToGpuFromEnv } from "./time-to-gpu.mjs";

// Every process the benchmarks start carries this in its environment, so others' processes can be told apart.
const MARKER = "RVBENCH_RUN";
process.env[MARKER] = `${process.pid}-${Date.now()}`;

const FULL = {
  throughput: () => runThroughput({ tasks: 2000, reps: 3 }),
  submit: () => runSubmit({ warmup: 5, runs: 30, batchRuns: 5 }),
  startup: () => runStartup({ warmup: 2, runs: 12, rounds: 5 }),
  tasks: () => runTasks({ history: 10_000, warmup: 3, runs: 20 }),
  history: () => runHistory({ tasks: 100_000, warmup: 1, runs: 5 }),
  dispatch: () =>
    runDispatch({ count: 50, pauseMs: 300, idleCount: 10, idlePauseMs: 1600, e2eCount: 20, busyTasks: 2000 }),
  remote: () => runRemote({ warmup: 3, runs: 20 }),
  "lease-sweep": () => runLeaseSweep({ trials: 1 }), // about 25 minutes: 12 sbatch jobs each queue behind the load
  // about 60 minutes: 45 under churn, 15 at the cliff; RV_BENCH_TTG_* pick fewer arms and sizes (time-to-gpu.mjs)
  "time-to-gpu": () =>
    runTimeToGpu(
      timeToGpuFromEnv({ trials: 3, gpus: [1, 4], capSeconds: 240, cliff: { trials: 3, gpus: [4], capSeconds: 120 } }),
    ),
};
const QUICK = {
  throughput: () => runThroughput({ tasks: 200, reps: 1 }),
  submit: () => runSubmit({ warmup: 2, runs: 10, batchRuns: 2 }),
  startup: () => runStartup({ warmup: 1, runs: 5, rounds: 2 }),
  tasks: () => runTasks({ history: 500, warmup: 1, runs: 5 }),
  history: () => runHistory({ tasks: 2000, warmup: 1, runs: 3 }),
  dispatch: () =>
    runDispatch({ count: 10, pauseMs: 300, idleCount: 3, idlePauseMs: 1600, e2eCount: 5, busyTasks: 300 }),
  remote: () => runRemote({ warmup: 1, runs: 5 }),
  "lease-sweep": () => runLeaseSweep({ trials: 1 }),
  "time-to-gpu": () =>
    runTimeToGpu(
      timeToGpuFromEnv({ trials: 2, gpus: [1, 4], capSeconds: 180, cliff: { trials: 2, gpus: [4], capSeconds: 90 } }),
    ),
};

function parseArgs(argv) {
  const options = { only: undefined, quick: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === "--quick") options.quick = true;
    else if (arg === "--only") options.only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (arg.startsWith("--only=")) options.only = arg.slice("--only=".length).split(",").filter(Boolean);
    else throw new Error(`unknown argument ${arg} (use --only NAME[,NAME] or --quick)`);
  }
  for (const name of options.only ?? []) {
    if (!(name in FULL)) throw new Error(`--only ${name}: no such benchmark (${Object.keys(FULL).join(", ")})`);
  }
  return options;
}

function git(args) {
  const result = spawnSync("git", args, { cwd: ROOT, encoding: "utf8" });
  return result.status === 0 ? result.stdout.trim() : null;
}

function meta() {
  const fsType = spawnSync("findmnt", ["-n", "-o", "FSTYPE", "-T", tmpdir()], { encoding: "utf8" }).stdout?.trim();
  const dirty = git(["status", "--porcelain", "--", "src", "package.json", "scripts"]);
  return {
    date: new Date().toISOString(),
    machine: {
      cores: availableParallelism(),
      cpu: cpus()[0]?.model ?? "unknown",
      memoryGb: round(totalmem() / 2 ** 30, 0),
      kernel: release(),
      tmpdir: tmpdir(),
      tmpdirFs: fsType || null,
    },
    node: process.version,
    bun: commandVersion(join(ROOT, "node_modules", ".bin", "bun"), ["--version"]),
    rv: commandVersion(RV, ["--version"]),
    git: {
      commit: git(["rev-parse", "--short", "HEAD"]),
      // dist/rv is built from the work tree: say when it differs from the commit.
      modifiedFiles: dirty === null ? null : dirty.split("\n").filter(Boolean).length,
    },
    peers: {
      parallel: commandVersion("parallel", ["--version"]),
      tsp: commandVersion("tsp", ["-V"], (text) => text.split("\n")[0].replace(/ - .*/, "")),
      hyperfine: commandVersion("hyperfine", ["--version"]),
      jq: commandVersion("jq", ["--version"]),
    },
  };
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  requireBinary();
  for (const tool of ["parallel", "tsp", "hyperfine", "jq"]) {
    if (commandVersion(tool, tool === "tsp" ? ["-V"] : ["--version"]) === null) {
      throw new Error(`${tool} is not installed: apt-get install -y parallel task-spooler hyperfine jq`);
    }
  }
  const table = options.quick ? QUICK : FULL;
  const names = options.only ?? Object.keys(table);
  const full = !options.quick && options.only === undefined;
  const results = { meta: meta(), quick: options.quick, benchmarks: {} };
  results.meta.busyBefore = await machineBusyPercent(2000);
  log(`machine busy before the run: ${results.meta.busyBefore}% of its CPUs (over 2 s)`);
  if (results.meta.busyBefore > 15) log("  (!) something else is using the CPUs: the numbers will be noisy");
  const started = Date.now();
  let failed = 0;
  for (const name of names) {
    const t0 = Date.now();
    const busy = await machineBusyPercent(1000);
    const stopWatching = watchForeignCpu(MARKER, process.env[MARKER]);
    try {
      const result = await table[name]();
      const foreign = stopWatching();
      if (foreign.percentOfMachine > 5) {
        log(
          `  (!) other processes used ${foreign.percentOfMachine}% of the machine meanwhile: ${JSON.stringify(foreign.top)}`,
        );
      }
      const seconds = round((Date.now() - t0) / 1000, 1);
      results.benchmarks[name] = { ...result, busyBefore: busy, foreign, seconds, ran: ranNow(results.meta) };
    } catch (error) {
      stopWatching();
      failed++;
      log(`  [${name}] failed: ${error instanceof Error ? error.stack : String(error)}`);
      results.benchmarks[name] = { error: error instanceof Error ? error.message : String(error) };
    } finally {
      await cleanupAll();
    }
  }
  removeWorkDirs();
  results.meta.seconds = round((Date.now() - started) / 1000, 1);
  const dir = join(ROOT, "bench", "results");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, options.quick ? "partial.json" : "latest.json");
  const kept = full || options.quick ? results : mergeInto(readResults(file), results);
  writeFileSync(file, `${JSON.stringify(kept, null, 2)}\n`);
  log(`\nresults: ${file} (${results.meta.seconds} s)`);
  const missing = Object.keys(FULL).filter((name) => !kept.benchmarks[name] || kept.benchmarks[name].error);
  if (!options.quick && missing.length === 0) log(`report: ${writeReport(kept)}`);
  else
    log(`docs/benchmarks.md left as it is (${options.quick ? "a quick run" : `no result yet: ${missing.join(", ")}`})`);
  process.exitCode = failed > 0 ? 1 : 0;
}

/** When a benchmark ran and on what: a report made of several runs says so for each. */
function ranNow(meta) {
  return { date: new Date().toISOString(), commit: meta.git.commit, modifiedFiles: meta.git.modifiedFiles };
}

function readResults(file) {
  return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : undefined;
}

/** A partial run's benchmarks replace the same ones of the last results; the rest stay as they ran. */
function mergeInto(last, run) {
  if (!last) return run;
  const benchmarks = { ...last.benchmarks, ...run.benchmarks };
  const ttg = "time-to-gpu";
  if (run.benchmarks[ttg]) benchmarks[ttg] = withPartsRun(last.benchmarks[ttg], run.benchmarks[ttg]);
  return { ...run, meta: { ...run.meta, seconds: null }, benchmarks };
}

/**
 * A (g) run of the parts arms without the rv arm (RV_BENCH_TTG_ARMS=naive,parts,partsOne: 40 minutes, not the whole
 * hour) goes beside the last whole run's entry as its `partsRun`, which the report shows with its own date and naive
 * arm; any other run replaces the entry.
 */
function withPartsRun(last, run) {
  const arms = run.params?.arms ?? [];
  const partsOnly = !arms.includes("rv") && ["parts", "partsOne", "shapes"].some((a) => arms.includes(a));
  if (!last || last.error || run.error || !partsOnly) return run;
  const { partsRun: _older, ...whole } = last;
  return {
    ...whole,
    partsRun: { params: run.params, ran: run.ran, rows: run.rows, results: run.results, contention: run.contention },
  };
}

for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    log(`\n${signal}: cleaning up`);
    cleanupAll()
      .then(removeWorkDirs)
      .finally(() => process.exit(130));
  });
}

main().catch(async (error) => {
  await cleanupAll();
  removeWorkDirs();
  log(error instanceof Error ? error.message : String(error));
  process.exit(2);
});
