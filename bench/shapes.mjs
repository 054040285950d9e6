// Job shapes rv does not race (yet), under the churn of (g): how long until 4 GPUs run, for
//   naive  `-p gpu-a100-80 --gres=gpu:a100_80g:4 -t 24:00:00` (as in (g)),
//   multi  `-p gpu-a6000,gpu-a100-80 --gres=gpu:4 -t 24:00:00` (as in (g)),
//   flex   `-p gpu-a6000,gpu-a100-80 -N 1-2 --gpus=4 -t 2:59:00`: 4 GPUs on one or two nodes, split as Slurm likes,
//   parts  four jobs `-p gpu-a6000,gpu-a100-80 --gres=gpu:1 -t 2:59:00`: time until the first runs, and all four.
// A question for the allocator's next step (docs/allocator.md, "Under churn"), not part of `npm run bench`:
//
//   node bench/shapes.mjs [TRIALS]     (default 3; the dev cluster must be up: npm run cluster:up)
//
// The arms take turns; before each, the churn fills both partitions again. Each arm is cut at 240 s.
import { log, nowMs, round, run, sleep } from "./lib.mjs";
import { churnRefilled, median, startChurn } from "./time-to-gpu.mjs";

const PREFIX = `rvshapes-${process.pid}`;
const CAP_SECONDS = 240;
const BOTH = "gpu-a6000,gpu-a100-80";
const ARMS = {
  naive: [["-p", "gpu-a100-80", "--gres=gpu:a100_80g:4", "-t", "24:00:00"]],
  multi: [["-p", BOTH, "--gres=gpu:4", "-t", "24:00:00"]],
  flex: [["-p", BOTH, "-N", "1-2", "--gpus=4", "-t", "2:59:00"]],
  parts: [1, 2, 3, 4].map(() => ["-p", BOTH, "--gres=gpu:1", "-t", "2:59:00"]),
};

/** Seconds until the first of the arm's jobs runs and until all do (the cut when they do not). */
async function timeArm(name, jobs) {
  await churnRefilled();
  const t0 = nowMs();
  const ids = [];
  for (const args of jobs) {
    const { stdout } = await run("sbatch", [
      ...["--parsable", "-J", `${PREFIX}-${name}`, "-A", "lab", "-o", "/dev/null", ...args, "--wrap", "sleep 600"],
    ]);
    ids.push(stdout.trim().split(";")[0]);
  }
  let first = CAP_SECONDS;
  let all = CAP_SECONDS;
  try {
    while ((nowMs() - t0) / 1000 < CAP_SECONDS) {
      const { stdout } = await run("squeue", ["-h", "-j", ids.join(","), "-o", "%T"], { allowFail: true });
      const running = stdout.split("\n").filter((s) => s.trim() === "RUNNING").length;
      const seconds = round((nowMs() - t0) / 1000, 1);
      if (running > 0) first = Math.min(first, seconds);
      if (running === ids.length) {
        all = seconds;
        break;
      }
      await sleep(1000);
    }
  } finally {
    await run("scancel", ids, { allowFail: true });
  }
  return { first, all };
}

const trials = Number(process.argv[2] ?? 3);
const loads = startChurn(PREFIX);
const results = Object.fromEntries(Object.keys(ARMS).map((name) => [name, []]));
try {
  await Promise.all(loads.map((l) => l.ready()));
  for (let trial = 1; trial <= trials; trial++) {
    for (const [name, jobs] of Object.entries(ARMS)) {
      const r = await timeArm(name, jobs);
      results[name].push(r);
      log(`trial ${trial} ${name}: first ${r.first} s, all ${r.all} s`);
    }
  }
  log(`\nmedians over ${trials} trials (cut at ${CAP_SECONDS} s):`);
  for (const [name, rs] of Object.entries(results)) {
    log(`  ${name}: first ${median(rs.map((r) => r.first))} s, all ${median(rs.map((r) => r.all))} s`);
  }
} finally {
  await Promise.all(loads.map((l) => l.stop()));
}
