// (h) CLI start-up: the floor of any rv command is the Bun runtime's own start, an empty compiled binary. Measured
// in the same hyperfine run: that empty binary, rv's stack doing the least a submit does (bench/startup-floor.ts,
// compiled as rv is), `rv --version`, `rv submit -- true` into a live local lease, and the read commands `rv tasks`
// and `rv status`, each as a multiple of the empty binary's mean.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { copyWhole } from "../scripts/copy-whole.mjs";
import {
  hyperfine,
  isolatedEnv,
  jsonlOf,
  LEASE,
  log,
  ROOT,
  RV,
  round,
  run,
  sleep,
  startLease,
  workDir,
} from "./lib.mjs";

export const SUBMIT_RATIO = 3;
export const READ_RATIO = 4;
/**
 * Tasks the lease runs before the measurement, as a lease in use has: a new runner's first ~50 tasks cost it ~7 ms of
 * CPU each against ~5 later (its JIT compiling its own code), on the core beside the command measured, which made a
 * submit ~2-3 ms slower on a lease started the moment before (bench/changes.md step 12).
 */
const WARM_TASKS = 100;

/**
 * In `rounds` hyperfine runs, each measuring every command (`runs` times after `warmup` warm-ups), the times pooled:
 * one run of 30 measured the empty binary first and `rv status` half a minute later, and on this benchmark's VM the
 * machine's state drifts on that scale (the empty binary's mean moved 13-22 ms between runs): which command a
 * quieter quarter-minute favoured decided the multiples as much as rv did.
 */
export async function runStartup({ warmup, runs, rounds }) {
  log(
    `\n[startup] rv's start-up next to an empty Bun binary: hyperfine ${rounds} rounds of ${runs} runs after ${warmup} warm-ups`,
  );
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
      // The reads before the submits: each round's reads find the lease settled (settle), as a lease at rest is.
      { name: "rv tasks", command: `${RV} tasks` },
      { name: "rv status", command: `${RV} status` },
      {
        name: "rv submit -- true",
        command: `${RV} submit --lease ${LEASE} -- true`,
        display: "rv submit --lease L -- true",
      },
    ];
    const results = await hyperfine(work.dir, commands, {
      warmup,
      runs,
      env,
      rounds,
      beforeRound: () => settle(lease),
    });
    await lease.down();
    const base = results[0].meanMs;
    for (const result of results) result.ratio = round(result.meanMs / base, 2);
    const [, , , tasks, status, submit] = results;
    log(`  ${results.map((r) => `${r.name} ${r.meanMs} ms (${r.ratio}×)`).join("; ")}`);
    const readRatio = Math.max(tasks.ratio, status.ratio);
    // Met on the means themselves, not on the multiples rounded for the table.
    const within = (command, ratio) => command.meanMs <= ratio * base;
    return {
      warmup,
      runs,
      rounds,
      submitRoundRatios: roundRatios(results[0], submit),
      warmTasks: WARM_TASKS,
      results,
      target: {
        what: `rv submit -- true <= ${SUBMIT_RATIO}× an empty Bun binary's start; rv tasks, rv status <= ${READ_RATIO}×`,
        value: { submit: submit.ratio, read: readRatio },
        met: within(submit, SUBMIT_RATIO) && within(tasks, READ_RATIO) && within(status, READ_RATIO),
      },
    };
  } finally {
    await work.dispose();
  }
}

/** Each round's mean of `command` over the empty binary's in the same round. */
function roundRatios(empty, command) {
  return (command.roundMeansMs ?? []).map((mean, i) => round(mean / empty.roundMeansMs[i], 2));
}

/**
 * The tasks submitted so far done, and `done/` still past the 2 s after which its index is trusted (PROTOCOL.md,
 * "Done index"), and read once so that it is: a read right after a task ends brings the index up to date from every
 * record, which (i) measures ("done/ just changed"), not start-up.
 */
async function settle(lease) {
  await lease.rv(["wait", "--all", "--lease", LEASE]);
  await sleep(2500);
  await lease.rv(["status"]);
}

/** The lease runs WARM_TASKS `true` tasks, submitted in one batch, and the measurement starts once they are done. */
async function warmUp(lease, dir) {
  const file = join(dir, "warm-up.jsonl");
  writeFileSync(file, jsonlOf(["true"], WARM_TASKS));
  await lease.rv(["submit", "--lease", LEASE, "--from", file]);
}

/**
 * The floor program, compiled as scripts/build.ts compiles rv (ESM bytecode laid out in the order a run calls it, the
 * same JIT policy, nothing autoloaded), and the config and lease record it reads.
 */
async function buildFloor(bun, dir) {
  const binary = join(dir, "floor");
  const home = join(dir, "floor-home");
  mkdirSync(home, { recursive: true });
  writeFileSync(join(home, "config.toml"), "[submit]\ncpus = 1\n");
  const lease = { v: 1, id: LEASE, kind: "local", createdAt: new Date().toISOString(), host: "bench", state: "active" };
  writeFileSync(join(home, "lease.json"), `${JSON.stringify(lease)}\n`);
  const compile = (...extra) =>
    run(bun, [
      "build",
      "--compile",
      "--bytecode",
      "--format=esm",
      "--minify",
      "--compile-jit-policy=100",
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      ...extra,
      join(ROOT, "bench", "startup-floor.ts"),
      "--outfile",
      binary,
    ]);
  await compile();
  // Its bytecode laid out in the order a run calls it, as scripts/build.ts lays out rv's.
  const order = join(dir, "floor-order");
  await run(binary, ["submit", "--dir", home, "--", "true"], {
    env: { ...process.env, BUN_BYTECODE_ORDER_OUT: order },
  });
  await compile(`--bytecode-order=${order}`);
  copyWhole(binary);
  return { binary, dir: home };
}
