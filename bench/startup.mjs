// (h) CLI start-up: the floor of any rv command is the Bun runtime's own start, an empty compiled binary. Measured
// in the same hyperfine run: that empty binary, rv's stack doing the least a submit does (bench/startup-floor.ts,
// compiled as rv is), `rv --version`, `rv submit -- true` into a live local lease, and the read commands `rv tasks`
// and `rv status`, each as a multiple of the empty binary's mean.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyWhole } from "../scripts/copy-whole.mjs";
import { hyperfine, isolatedEnv, jsonlOf, LEASE, log, ROOT, RV, round, run, startLease, workDir } from "./lib.mjs";

export const SUBMIT_RATIO = 3;
export const READ_RATIO = 4;
/**
 * Tasks the lease runs before the measurement, as a lease in use has: a new runner's first ~50 tasks cost it ~7 ms of
 * CPU each against ~5 later (its JIT compiling its own code), on the core beside the command measured, which made a
 * submit ~2-3 ms slower on a lease started the moment before (bench/changes.md step 12).
 */
const WARM_TASKS = 100;

export async function runStartup({ warmup = 5, runs = 30 } = {}) {
  log(`\n[startup] rv's start-up next to an empty Bun binary, hyperfine ${runs} runs after ${warmup} warm-ups`);
  const work = workDir("startup");
  try {
    const empty = join(work.dir, "empty");
    writeFileSync(`${empty}.ts`, "process.exit(0);\n");
    const bun = join(ROOT, "node_modules", ".bin", "bun");
    await run(bun, ["build", "--compile", `${empty}.ts`, "--outfile", empty]);
    copyWhole(empty);
    const floor = await buildFloor(bun, work.dir);
    const lease = await startLease(work.dir);
    await warmUp(lease, work.dir);
    const env = isolatedEnv({ RV_HOME: lease.home });
    const commands = [
      { name: "empty Bun binary", command: empty, display: "empty bun build --compile binary" },
      {
        name: "rv's stack floor",
        command: `${floor.binary} submit --dir ${floor.dir} -- true`,
        display: "bench/startup-floor.ts submit -- true",
      },
      { name: "rv --version", command: `${RV} --version` },
      {
        name: "rv submit -- true",
        command: `${RV} submit --lease ${LEASE} -- true`,
        display: "rv submit --lease L -- true",
      },
      { name: "rv tasks", command: `${RV} tasks` },
      { name: "rv status", command: `${RV} status` },
    ];
    const results = await hyperfine(work.dir, commands, { warmup, runs, env });
    await lease.down();
    const base = results[0].meanMs;
    for (const result of results) result.ratio = round(result.meanMs / base, 1);
    const [, , , submit, tasks, status] = results;
    log(`  ${results.map((r) => `${r.name} ${r.meanMs} ms (${r.ratio}×)`).join("; ")}`);
    const readRatio = Math.max(tasks.ratio, status.ratio);
    return {
      warmup,
      runs,
      warmTasks: WARM_TASKS,
      results,
      target: {
        what: `rv submit -- true <= ${SUBMIT_RATIO}× an empty Bun binary's start; rv tasks, rv status <= ${READ_RATIO}×`,
        value: { submit: submit.ratio, read: readRatio },
        met: submit.ratio <= SUBMIT_RATIO && readRatio <= READ_RATIO,
      },
    };
  } finally {
    await work.dispose();
  }
}

/** The lease runs WARM_TASKS `true` tasks, submitted in one batch, and the measurement starts once they are done. */
async function warmUp(lease, dir) {
  const file = join(dir, "warm-up.jsonl");
  writeFileSync(file, jsonlOf(["true"], WARM_TASKS));
  await lease.rv(["submit", "--lease", LEASE, "--from", file]);
  await lease.rv(["wait", "--all", "--lease", LEASE]);
}

/**
 * The floor program, compiled as scripts/build.ts compiles rv (ESM bytecode, the same JIT policy, nothing autoloaded),
 * and the config and lease record it reads.
 */
async function buildFloor(bun, dir) {
  const binary = join(dir, "floor");
  await run(bun, [
    "build",
    "--compile",
    "--bytecode",
    "--format=esm",
    "--minify",
    "--compile-jit-policy=100",
    "--no-compile-autoload-dotenv",
    "--no-compile-autoload-bunfig",
    join(ROOT, "bench", "startup-floor.ts"),
    "--outfile",
    binary,
  ]);
  copyWhole(binary);
  const home = join(dir, "floor-home");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "config.toml"), "[submit]\ncpus = 1\n");
  const lease = { v: 1, id: LEASE, kind: "local", createdAt: new Date().toISOString(), host: "bench", state: "active" };
  writeFileSync(join(home, "lease.json"), `${JSON.stringify(lease)}\n`);
  return { binary, dir: home };
}
