// (d) Dispatch latency on an idle lease: sequential `rv submit -- true`, each after the previous task
// finished and a pause that lets the runner go idle. Latency = startedAt - task.submittedAt, both from
// the task's done/ record. A second series pauses long enough for the runner's idle poll to back off to
// its maximum (1 s), where only its inbox watcher can start a task quickly.
// Peer: end to end, from spawning the submit command to the task's first instruction, for rv and for
// task-spooler, measured the same way for both (the task writes `date +%s%N` to a file).
// Then on a busy lease: 2,000 tasks queued at once; latency = from a slot freeing (a task's done record's endedAt,
// stamped as the runner frees its share) to the start of the task that takes it (startedAt).
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import {
  jsonlOf,
  LEASE,
  log,
  nowMs,
  percentile,
  readDoneRecords,
  round,
  sleep,
  startLease,
  startTsp,
  workDir,
} from "./lib.mjs";

export const TARGET_P50_MS = 50;
export const TARGET_BUSY_P99_MS = 10;

function stats(values) {
  return {
    n: values.length,
    p50: round(percentile(values, 50), 1),
    p90: round(percentile(values, 90), 1),
    p99: round(percentile(values, 99), 1),
    max: round(Math.max(...values), 1),
    min: round(Math.min(...values), 1),
  };
}

async function waitForFile(file, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file)) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${file}`);
    await sleep(2);
  }
}

/** Reads a JSON file that is renamed into place whole (done/ records). */
function readJson(file) {
  return JSON.parse(readFileSync(file, "utf8"));
}

/** `count` sequential submits of `true`, `pauseMs` apart; latencies from the done records. */
async function recordSeries(lease, count, pauseMs) {
  const latencies = [];
  const submitWall = [];
  for (let i = 0; i < count; i++) {
    await sleep(pauseMs);
    const submit = await lease.rv(["submit", "--lease", LEASE, "--", "true"]);
    const id = submit.stdout.trim();
    const file = join(lease.doneDir, `${id}.json`);
    await waitForFile(file);
    const done = readJson(file);
    latencies.push(Date.parse(done.startedAt) - Date.parse(done.task.submittedAt));
    submitWall.push(submit.ms);
  }
  return { pauseMs, latenciesMs: latencies, latency: stats(latencies), submitWall: stats(submitWall) };
}

/** Time from spawning `submit(argv)` to the moment the task's own `date +%s%N` ran. */
async function endToEndSeries(dir, label, submit, count, pauseMs) {
  const samples = [];
  for (let i = 0; i < count; i++) {
    await sleep(pauseMs);
    const stamp = join(dir, `${label}-${i}.stamp`);
    const t0 = nowMs();
    await submit(["sh", "-c", `date +%s%N > ${stamp}.tmp && mv ${stamp}.tmp ${stamp}`]);
    await waitForFile(stamp);
    const startedNs = BigInt(readFileSync(stamp, "utf8").trim());
    samples.push(Number(startedNs / 1000n) / 1000 - t0);
  }
  return stats(samples);
}

/**
 * The k-th start (in time order) of a lease of `slots` slots, each task taking one, needs k - slots + 1 ends: it can
 * happen from the (k - slots)-th end on. So a start's latency is `start[k] - end[k - slots]`, both sorted: which
 * slot a task ran in is not recorded, and this pairing is the one every slot-by-slot pairing of a FIFO runner gives.
 */
export function slotLatencies(records, slots) {
  const ends = records.map((r) => Date.parse(r.endedAt)).sort((a, b) => a - b);
  const starts = records.map((r) => Date.parse(r.startedAt)).sort((a, b) => a - b);
  return starts.slice(slots).map((start, k) => ({ start, ms: start - (ends[k] ?? Number.NaN) }));
}

/**
 * `tasks` tasks of `argv` submitted at once (`rv submit --from`), then waited for. Counted: the starts after the
 * submit returned, so that they meet a full queue and no submit competing for the 2 cores.
 */
async function busySeries(lease, dir, argv, tasks, slots) {
  const file = join(dir, "busy.jsonl");
  writeFileSync(file, jsonlOf(argv, tasks));
  const submit = await lease.rv(["submit", "--lease", LEASE, "--from", file]);
  const submitted = nowMs();
  const ids = new Set(submit.stdout.split("\n").filter((line) => line.trim() !== ""));
  await lease.rv(["wait", "--all", "--lease", LEASE], { allowFail: true });
  const records = readDoneRecords(lease.doneDir).filter((r) => ids.has(r.task.id) && r.startedAt !== null);
  const latencies = slotLatencies(records, slots)
    .filter(({ start }) => start >= submitted)
    .map(({ ms }) => ms);
  return { tasks, workload: argv.join(" "), done: records.length, latency: stats(latencies) };
}

export async function runDispatch({
  count = 50,
  pauseMs = 300,
  idleCount = 10,
  idlePauseMs = 1600,
  e2eCount = 20,
  busyTasks = 2000,
} = {}) {
  log(`\n[dispatch] ${count} sequential \`rv submit -- true\` on an idle lease, ${pauseMs} ms apart`);
  const work = workDir("dispatch");
  try {
    const lease = await startLease(work.dir);
    for (let i = 0; i < 2; i++) {
      // warm-up, not counted: the first submits fault in the binary's pages
      const { stdout } = await lease.rv(["submit", "--lease", LEASE, "--", "true"]);
      await waitForFile(join(lease.doneDir, `${stdout.trim()}.json`));
    }
    const main = await recordSeries(lease, count, pauseMs);
    log(`  latency p50 ${main.latency.p50} ms, p99 ${main.latency.p99} ms, max ${main.latency.max} ms`);
    const idle = await recordSeries(lease, idleCount, idlePauseMs);
    log(`  after ${idlePauseMs} ms idle: p50 ${idle.latency.p50} ms, max ${idle.latency.max} ms`);

    const ts = await startTsp(work.dir, { slots: 2 });
    const rvE2e = await endToEndSeries(
      work.dir,
      "rv",
      (argv) => lease.rv(["submit", "--lease", LEASE, "--", ...argv]),
      e2eCount,
      pauseMs,
    );
    const tspE2e = await endToEndSeries(work.dir, "tsp", (argv) => ts.tsp(argv), e2eCount, pauseMs);
    log(`  end to end p50: rv ${rvE2e.p50} ms, tsp ${tspE2e.p50} ms`);
    await ts.stop();
    log(`[dispatch] busy lease: ${busyTasks} \`sleep 0.01\` queued at once, 2 slots`);
    const busy = await busySeries(lease, work.dir, ["sleep", "0.01"], busyTasks, 2);
    log(
      `  slot freed -> next start: p50 ${busy.latency.p50} ms, p99 ${busy.latency.p99} ms, max ${busy.latency.max} ms`,
    );
    await lease.down();
    return {
      main,
      idle,
      endToEnd: { count: e2eCount, pauseMs, rv: rvE2e, tsp: tspE2e },
      busy,
      target: {
        what: "dispatch latency (startedAt - submittedAt) p50 <= 50 ms on an idle lease",
        thresholdMs: TARGET_P50_MS,
        value: main.latency.p50,
        met: main.latency.p50 <= TARGET_P50_MS,
      },
      busyTarget: {
        what: "on a busy lease, slot freed (endedAt) -> next startedAt p99 <= 10 ms",
        thresholdMs: TARGET_BUSY_P99_MS,
        value: busy.latency.p99,
        met: busy.latency.p99 <= TARGET_BUSY_P99_MS,
      },
    };
  } finally {
    await work.dispose();
  }
}
