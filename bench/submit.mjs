// (b) Wall time of one `rv submit -- true` against a lease whose runner is live, next to `tsp true`
// (a task-spooler server with 2 slots) and `rv --version`, the binary's start-up alone.
import { hyperfine, isolatedEnv, LEASE, log, RV, startLease, startTsp, workDir } from "./lib.mjs";

export const TARGET_MS = 60;

export async function runSubmit({ warmup = 5, runs = 30 } = {}) {
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
    };
  } finally {
    await work.dispose();
  }
}
