// (b) Wall time of one `rv submit -- true` against a lease whose runner is live, next to `tsp true`
// (a task-spooler server with 2 slots) and `rv --version`, the binary's start-up alone. Then one
// `rv submit --from` of 10,000 lines into a fresh live lease, a few times: its wall and CPU time.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  hyperfine,
  isolatedEnv,
  jsonlOf,
  LEASE,
  log,
  RV,
  round,
  runWithCpu,
  startLease,
  startTsp,
  workDir,
} from "./lib.mjs";

export const TARGET_MS = 60;
export const BATCH_LINES = 10_000;
export const BATCH_TARGET_MS = 1000; // issue 18: `rv submit --from` of 10,000 lines under 1 s

export async function runSubmit({ warmup = 5, runs = 30, batchRuns = 5 } = {}) {
  log(`\n[submit] \`rv submit -- true\` wall time, hyperfine ${runs} runs after ${warmup} warm-ups`);
  const work = workDir("submit");
  try {
    const lease = await startLease(work.dir);
    const ts = await startTsp(work.dir, { slots: 2 });
    // One environment for all three commands: RV_HOME for rv, TS_SOCKET/TMPDIR for tsp.
    const env = isolatedEnv({ RV_HOME: lease.home, TS_SOCKET: ts.socket, TMPDIR: ts.env.TMPDIR });
    const commands = [
      {
        name: "rv submit -- true",
        command: `${RV} submit --lease ${LEASE} -- true`,
        display: "rv submit --lease L -- true",
      },
      { name: "tsp true", command: "tsp true" },
      { name: "rv --version (start-up only)", command: `${RV} --version`, display: "rv --version" },
    ];
    const results = await hyperfine(work.dir, commands, { warmup, runs, env });
    await ts.stop();
    await lease.down();
    const [rv, tsp, startup] = results;
    log(
      `  rv submit ${rv.meanMs} ms mean (median ${rv.medianMs}); tsp ${tsp.meanMs} ms; rv --version ${startup.meanMs} ms`,
    );
    return {
      warmup,
      runs,
      results,
      target: {
        what: "rv submit -- true, mean wall time <= 60 ms",
        thresholdMs: TARGET_MS,
        value: rv.meanMs,
        met: rv.meanMs <= TARGET_MS,
      },
      batch: await runBatch(BATCH_LINES, batchRuns),
    };
  } finally {
    await work.dispose();
  }
}

/**
 * `rv submit --from` of `lines` `true` tasks, each run into a fresh local lease whose runner is live (it claims and
 * runs the tasks as they arrive, on the same 2 cores).
 */
async function runBatch(lines, runs) {
  log(`\n[submit] \`rv submit --from\` of ${lines} lines, ${runs} runs`);
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const work = workDir("submit-batch");
    try {
      const lease = await startLease(work.dir);
      const file = join(work.dir, "tasks.jsonl");
      writeFileSync(file, jsonlOf(["true"], lines));
      const submit = await runWithCpu(RV, ["submit", "--lease", LEASE, "--from", file], { env: lease.env });
      const printed = submit.stdout.split("\n").filter((line) => line.trim() !== "").length;
      samples.push({ wallMs: round(submit.ms, 0), cpuMs: submit.cpuMs, printed });
      await lease.down();
      log(`  run ${i + 1}: ${samples.at(-1).wallMs} ms wall, ${submit.cpuMs} ms CPU, ${printed} ids printed`);
    } finally {
      await work.dispose();
    }
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor((values.length - 1) / 2)];
  const wallMs = median(samples.map((s) => s.wallMs));
  return {
    lines,
    samples,
    wallMs,
    cpuMs: samples.every((s) => s.cpuMs !== null) ? median(samples.map((s) => s.cpuMs)) : null,
    target: {
      what: `rv submit --from of ${lines} lines, median wall time <= ${BATCH_TARGET_MS} ms`,
      thresholdMs: BATCH_TARGET_MS,
      value: wallMs,
      met: wallMs <= BATCH_TARGET_MS && samples.every((s) => s.printed === lines),
    },
  };
}
