// (c) Wall time of `rv tasks` (default view) and `rv tasks --json -n 0` with 10,000 finished tasks in the
// history. The history is real: 10,000 `true` tasks submitted with --from and run by the lease's runner.
// Next to them, two floors that any tool pays for the same records: reading the 10,000 done/ files (cat)
// and reading and parsing them (jq).
import { readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperfine, jsonlOf, LEASE, log, nowMs, RV, round, sleep, startLease, workDir } from "./lib.mjs";

export const TARGET_MS = 200;
const FILL_LIMIT_MS = 5 * 60_000;

function countDone(doneDir) {
  return readdirSync(doneDir).filter((name) => name.endsWith(".json") && !name.startsWith(".")).length;
}

/** Submits `history` `true` tasks with --from and waits until the runner has finished that many. */
async function fillHistory(lease, dir, history) {
  const t0 = nowMs();
  let submitted = 0;
  let distinct = 0;
  const batches = [];
  let submitMs = 0;
  // A batch can come out short (see `distinctIds` in the results), so top up until `history` tasks are done.
  while (countDone(lease.doneDir) < history) {
    if (nowMs() - t0 > FILL_LIMIT_MS) throw new Error(`filling the history took over ${FILL_LIMIT_MS / 1000} s`);
    const missing = history - distinct;
    if (missing > 0) {
      const file = join(dir, `history-${batches.length}.jsonl`);
      writeFileSync(file, jsonlOf(["true"], missing));
      const submit = await lease.rv(["submit", "--lease", LEASE, "--from", file]);
      const ids = submit.stdout.split("\n").filter((line) => line.trim() !== "");
      submitMs += submit.ms;
      submitted += ids.length;
      distinct += new Set(ids).size;
      batches.push({ tasks: missing, idsPrinted: ids.length, distinctIds: new Set(ids).size, ms: round(submit.ms, 0) });
    }
    // Wait for what is queued: a readdir every 250 ms costs the runner nothing, unlike polling 10,000 views.
    while (countDone(lease.doneDir) < distinct) {
      if (nowMs() - t0 > FILL_LIMIT_MS) throw new Error(`filling the history took over ${FILL_LIMIT_MS / 1000} s`);
      await sleep(250);
    }
  }
  return { submitted, distinctIds: distinct, batches, submitMs: round(submitMs, 0), fillMs: round(nowMs() - t0, 0) };
}

export async function runTasks({ history = 10_000, warmup = 3, runs = 20 } = {}) {
  log(`\n[tasks] \`rv tasks\` with ${history} tasks in the history`);
  const work = workDir("tasks");
  try {
    const lease = await startLease(work.dir);
    const fill = await fillHistory(lease, work.dir, history);
    const done = countDone(lease.doneDir);
    log(
      `  history: ${done} done records in ${fill.fillMs} ms (${fill.submitted} submitted in ${fill.batches.length} batch(es), ${fill.distinctIds} distinct ids)`,
    );
    const listed = JSON.parse((await lease.rv(["tasks", "--json", "-n", "0"])).stdout);
    const commands = [
      { name: "rv tasks", command: `${RV} tasks`, display: "rv tasks" },
      { name: "rv tasks --json -n 0", command: `${RV} tasks --json -n 0`, display: "rv tasks --json -n 0" },
      {
        name: "floor: read every record (cat)",
        command: `find ${lease.doneDir} -name *.json -exec cat {} +`,
        display: "find done/ -name '*.json' -exec cat {} +",
      },
      {
        name: "floor: read and parse every record (jq)",
        command: `find ${lease.doneDir} -name *.json -exec jq -c .state {} +`,
        display: "find done/ -name '*.json' -exec jq -c .state {} +",
      },
    ];
    const results = await hyperfine(work.dir, commands, { warmup, runs, env: lease.env });
    await lease.down();
    const [text, json] = results;
    log(`  rv tasks ${text.meanMs} ms mean; rv tasks --json -n 0 ${json.meanMs} ms mean`);
    return {
      history: done,
      listedByJson: listed.total,
      fill,
      warmup,
      runs,
      results,
      target: {
        // The target is the command people type; the full dump is measured beside it, untargeted.
        what: "rv tasks with 10,000 tasks in the history, mean wall time <= 200 ms",
        thresholdMs: TARGET_MS,
        value: text.meanMs,
        met: text.meanMs <= TARGET_MS,
      },
    };
  } finally {
    await work.dispose();
  }
}
