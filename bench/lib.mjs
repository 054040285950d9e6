// Shared helpers of the benchmarks: timed child processes, fresh RV_HOMEs, a lease with a live runner,
// hyperfine, task-spooler, and the clean-up that leaves no process or temp dir behind.
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const RV = join(ROOT, "dist", "rv");
export const LEASE = "bench";
const WORK_PREFIX = "rv-bench-";

/** Wall-clock milliseconds with sub-millisecond resolution, on the same clock as Date.now(). */
export function nowMs() {
  return performance.timeOrigin + performance.now();
}

export function sleep(ms) {
  return new Promise((done) => setTimeout(done, ms));
}

export function log(line) {
  process.stdout.write(`${line}\n`);
}

/** Nearest-rank percentile of an unsorted list. */
export function percentile(values, p) {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(sorted.length, rank) - 1];
}

export function round(value, digits = 1) {
  if (value === null || value === undefined || Number.isNaN(value)) return null;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

// ---------------------------------------------------------------------------------------------------------
// Clean-up: every temp dir and every detached server this run creates is registered here, so an error or
// Ctrl-C in the middle of a benchmark still releases leases, kills our processes and removes the dirs.

const cleanups = [];

export function onCleanup(fn) {
  cleanups.push(fn);
  return () => {
    const at = cleanups.indexOf(fn);
    if (at >= 0) cleanups.splice(at, 1);
  };
}

/** Runs the registered clean-ups, newest first, down to and including `last` (default: all of them). */
export async function cleanupAll(last) {
  if (last !== undefined && !cleanups.includes(last)) return;
  while (cleanups.length > 0) {
    const fn = cleanups.pop();
    try {
      await fn();
    } catch (error) {
      log(`  clean-up failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (fn === last) return;
  }
}

const workDirs = [];

/**
 * A fresh work dir for one benchmark. `dispose` undoes whatever was registered after it and is still up (a lease
 * an error skipped releasing, a tsp server), so no process outlives its use; the dir itself stays until the run
 * ends (removeWorkDirs): ext4 without a journal (this machine's) passes over the inodes freed in the last minutes
 * each time it creates a file, so removing one arm's 10,000 files would tax the next arm's every file it creates
 * (2,000 `true` through a runner: 187-279 tasks/s right after 10,000 files were removed, 326-661 a minute later).
 */
export function workDir(label) {
  const dir = mkdtempSync(join(tmpdir(), `${WORK_PREFIX}${label}-`));
  workDirs.push(dir);
  const stop = () => {};
  onCleanup(stop);
  return { dir, dispose: () => cleanupAll(stop) };
}

/** Removes every work dir the run made: at its end, or when it is interrupted. */
export function removeWorkDirs() {
  for (const dir of workDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** The process environment for rv (or a peer) in an isolated home; stray RV_* settings are dropped. */
export function isolatedEnv(extra = {}) {
  const env = {};
  for (const [key, value] of Object.entries(process.env))
    if (!key.startsWith("RV_") && !key.startsWith("TS_")) env[key] = value;
  return { ...env, ...extra };
}

// ---------------------------------------------------------------------------------------------------------
// Child processes.

/**
 * Runs a command to completion; resolves with its exit code, output and wall time in ms.
 * Throws on a non-zero exit unless `allowFail`.
 */
export function run(file, args, { env = process.env, cwd = ROOT, input, allowFail = false, inherit = false } = {}) {
  return new Promise((resolvePromise, reject) => {
    const started = nowMs();
    const child = spawn(file, args, {
      env,
      cwd,
      stdio: [input === undefined ? "ignore" : "pipe", inherit ? "inherit" : "pipe", inherit ? "inherit" : "pipe"],
    });
    const out = [];
    const err = [];
    child.stdout?.on("data", (chunk) => out.push(chunk));
    child.stderr?.on("data", (chunk) => err.push(chunk));
    if (input !== undefined) child.stdin.end(input);
    child.on("error", reject);
    child.on("close", (code, signal) => {
      const result = {
        code,
        signal,
        ms: nowMs() - started,
        startedAt: started,
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
      };
      if (!allowFail && code !== 0) {
        reject(new Error(`${file} ${args.join(" ")} exited ${code ?? signal}: ${result.stderr.trim().slice(0, 500)}`));
      } else resolvePromise(result);
    });
  });
}

/**
 * `run` under /usr/bin/time, adding the child's CPU time (user + system, ms) as `cpuMs`: what a client
 * process costs the 2 cores the runner and the tasks also need. `cpuMs` is null without /usr/bin/time.
 */
export async function runWithCpu(file, args, options = {}) {
  if (!existsSync("/usr/bin/time")) return { ...(await run(file, args, options)), cpuMs: null };
  const timeFile = join(tmpdir(), `rv-bench-time-${process.pid}-${Math.random().toString(36).slice(2)}`);
  try {
    const result = await run("/usr/bin/time", ["-f", "%U %S", "-o", timeFile, file, ...args], options);
    const [user, system] = readFileSync(timeFile, "utf8").trim().split("\n").at(-1).split(" ").map(Number);
    return { ...result, cpuMs: round((user + system) * 1000, 0) };
  } finally {
    rmSync(timeFile, { force: true });
  }
}

export function commandVersion(file, args, pick = (text) => text.split("\n")[0]) {
  try {
    const result = spawnSync(file, args, { encoding: "utf8" });
    if (result.error) return null;
    return pick(`${result.stdout}${result.stderr}`).trim();
  } catch {
    return null;
  }
}

export function pidAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return error.code === "EPERM";
  }
}

/** Pids of live processes whose environment contains `KEY=value` exactly: ours, and only ours. */
export function processesWithEnv(key, value) {
  const needle = Buffer.from(`${key}=${value}\0`);
  const found = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const env = readFileSync(`/proc/${name}/environ`);
      if (env.includes(needle)) found.push(Number(name));
    } catch {
      // gone, or not ours to read
    }
  }
  return found;
}

/**
 * Gives whatever still runs with this environment entry `graceMs` to exit on its own, then kills what is
 * left (SIGKILL, one pid at a time). Returns the pids it had to kill.
 */
export async function killStrays(key, value, graceMs = 2000) {
  const deadline = Date.now() + graceMs;
  while (processesWithEnv(key, value).length > 0 && Date.now() < deadline) await sleep(50);
  const strays = processesWithEnv(key, value);
  for (const pid of strays) {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      // already gone
    }
  }
  return strays;
}

function cpuTicks() {
  const [, ...fields] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const values = fields.map(Number);
  const idle = values[3] + (values[4] ?? 0); // idle + iowait
  return { idle, total: values.reduce((a, b) => a + b, 0) };
}

/** How busy the whole machine is over `ms` (0-100 %): something else running would skew every number. */
export async function machineBusyPercent(ms = 1000) {
  const a = cpuTicks();
  await sleep(ms);
  const b = cpuTicks();
  const total = b.total - a.total;
  return total > 0 ? round(100 * (1 - (b.idle - a.idle) / total), 0) : null;
}

/**
 * Watches, every `everyMs`, the CPU time of processes that are not this benchmark run's: neither this
 * harness nor anything started with `MARKER=value` in its environment (every process the benchmarks start,
 * runners and tasks included, inherits it). Kernel threads and short-lived processes that start and end
 * between two looks are not seen, so this is a lower bound of the outside disturbance.
 */
export function watchForeignCpu(marker, value, everyMs = 500) {
  const needle = Buffer.from(`${marker}=${value}\0`);
  // rv hands its runners (and so their tasks) an allowlisted environment without the marker; they are
  // known by their RV_HOME, which is always inside one of this harness's work dirs.
  const homeNeedle = Buffer.from(`RV_HOME=${join(tmpdir(), WORK_PREFIX)}`);
  const known = new Map(); // "pid:starttime" -> { ours, comm, last }
  let foreignMs = 0;
  const byCommand = new Map();
  const look = () => {
    for (const name of readdirSync("/proc")) {
      if (!/^\d+$/.test(name)) continue;
      let stat;
      try {
        stat = readFileSync(`/proc/${name}/stat`, "utf8");
      } catch {
        continue;
      }
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const key = `${name}:${fields[19]}`; // starttime tells a reused pid apart
      const ticks = Number(fields[11]) + Number(fields[12]);
      let entry = known.get(key);
      if (!entry) {
        let ours = Number(name) === process.pid;
        if (!ours) {
          try {
            const env = readFileSync(`/proc/${name}/environ`);
            ours = env.length === 0 || env.includes(needle) || env.includes(homeNeedle); // empty: a kernel thread
          } catch {
            ours = true;
          }
        }
        entry = { ours, comm, last: ticks };
        known.set(key, entry);
        continue;
      }
      if (!entry.ours && ticks > entry.last) {
        const ms = ((ticks - entry.last) * 1000) / 100;
        foreignMs += ms;
        byCommand.set(comm, (byCommand.get(comm) ?? 0) + ms);
      }
      entry.last = ticks;
    }
  };
  const started = nowMs();
  look();
  const timer = setInterval(look, everyMs);
  return () => {
    clearInterval(timer);
    look();
    const wallMs = nowMs() - started;
    const top = [...byCommand].sort((a, b) => b[1] - a[1]).slice(0, 5);
    return {
      cpuMs: round(foreignMs, 0),
      // share of the whole machine (all cores) taken by others while the benchmark ran
      percentOfMachine: round((100 * foreignMs) / (wallMs * availableParallelism()), 1),
      top: top.map(([comm, ms]) => ({ comm, cpuMs: round(ms, 0) })),
    };
  };
}

/** CPU time (user + system) a live process has used so far, in ms; null when it is gone. */
export function cpuMs(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15 of stat)
    return (ticks * 1000) / 100; // USER_HZ is 100 on Linux
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------------------------------------------------
// rv.

export function requireBinary() {
  if (!existsSync(RV)) throw new Error(`${RV} is missing: run \`npm run build\` first (npm run bench does)`);
}

/** An RV_HOME with one local lease of 2 CPUs whose runner is up; `down()` releases it and checks. */
export async function startLease(dir, { cpus = 2 } = {}) {
  const home = join(dir, "rv-home");
  mkdirSync(home, { recursive: true });
  const env = isolatedEnv({ RV_HOME: home });
  const rv = (args, options = {}) => run(RV, args, { env, ...options });
  let up;
  const unregister = onCleanup(() => stopLease(rv, home, up?.pid));
  const result = await rv(["lease", "up", "--local", "--name", LEASE, "--cpus", String(cpus), "--json"]);
  up = JSON.parse(result.stdout);
  return {
    home,
    env,
    rv,
    runnerPid: up.pid,
    leaseDir: join(home, "leases", LEASE),
    doneDir: join(home, "leases", LEASE, "done"),
    down: async () => {
      unregister();
      return stopLease(rv, home, up.pid);
    },
  };
}

/** `rv lease release --now --wait`, then make sure neither the runner nor any task of this home is left. */
async function stopLease(rv, home, runnerPid) {
  const released = await rv(["lease", "release", LEASE, "--now", "--wait"], { allowFail: true });
  if (released.code !== 0) log(`  rv lease release failed (${released.code}): ${released.stderr.trim()}`);
  // The runner writes its "exited" heartbeat (which ends --wait) a little before its process is gone.
  const t0 = nowMs();
  while (runnerPid && pidAlive(runnerPid) && nowMs() - t0 < 5000) await sleep(10);
  const runnerGoneMs = runnerPid && !pidAlive(runnerPid) ? round(nowMs() - t0, 0) : null;
  const strays = await killStrays("RV_HOME", home);
  if (strays.length > 0) log(`  killed ${strays.length} stray process(es) of ${home}: ${strays.join(" ")}`);
  return { releaseMs: round(released.ms, 0), runnerGoneAfterReleaseMs: runnerGoneMs, strays: strays.length };
}

/** Parses every done/ record of a lease (the benchmarks' ground truth for times and counts). */
export function readDoneRecords(doneDir) {
  const records = [];
  for (const name of readdirSync(doneDir)) {
    if (!name.endsWith(".json") || name.startsWith(".")) continue;
    try {
      records.push(JSON.parse(readFileSync(join(doneDir, name), "utf8")));
    } catch {
      // renamed into place atomically, so this does not happen; skip rather than fail a benchmark
    }
  }
  return records;
}

/** `count` lines of `{"argv": [...]}`: the input of `rv submit --from`. */
export function jsonlOf(argv, count) {
  return `${JSON.stringify({ argv })}\n`.repeat(count);
}

// ---------------------------------------------------------------------------------------------------------
// Peers.

/** A private task-spooler server (own socket, own output dir) with `slots` slots; `stop()` kills it. */
export async function startTsp(dir, { slots = 2 } = {}) {
  const outDir = join(dir, "tsp-out");
  mkdirSync(outDir, { recursive: true });
  const socket = join(dir, "tsp.socket");
  const env = isolatedEnv({ TS_SOCKET: socket, TMPDIR: outDir, TS_SLOTS: String(slots), TS_MAXFINISHED: "100000" });
  const tsp = (args, options = {}) => run("tsp", args, { env, ...options });
  const stop = async () => {
    await tsp(["-K"], { allowFail: true });
    const strays = await killStrays("TS_SOCKET", socket);
    if (strays.length > 0) log(`  killed ${strays.length} stray tsp process(es): ${strays.join(" ")}`);
  };
  const unregister = onCleanup(stop);
  await tsp(["-S", String(slots)]); // starts the server
  return {
    env,
    socket,
    tsp,
    stop: async () => {
      unregister();
      await stop();
    },
  };
}

/** `tsp -l` parsed: one {id, state} per job. */
export async function tspJobs(tsp) {
  const { stdout } = await tsp(["-l"]);
  return stdout
    .split("\n")
    .slice(1)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [id, state] = line.trim().split(/\s+/);
      return { id: Number(id), state };
    });
}

/**
 * Hyperfine over `commands` ([{name, command}]); returns per command mean/median/min/max/stddev in ms. With `rounds`,
 * hyperfine runs that many times, `runs` each, and the times are pooled: every command is measured in every round,
 * so a machine that grows busier or quieter during the measurement weighs on each command alike, not only on the
 * ones hyperfine runs last. `roundMeansMs` keeps each round's mean; `beforeRound` runs before each.
 */
export async function hyperfine(dir, commands, { warmup, runs, env, shell = false, rounds = 1, beforeRound }) {
  const times = commands.map(() => []);
  const roundMeans = commands.map(() => []);
  for (let pass = 0; pass < rounds; pass++) {
    await beforeRound?.();
    const exportFile = join(dir, `hyperfine-${Date.now()}-${pass}.json`);
    const args = ["--warmup", String(warmup), "--runs", String(runs), "--style", "basic", "--export-json", exportFile];
    if (!shell) args.push("-N");
    // hyperfine takes one --prepare for all commands or one for each: "true" for those that need none.
    if (commands.some((c) => c.prepare)) for (const c of commands) args.push("--prepare", c.prepare ?? "true");
    for (const { name, command } of commands) args.push("--command-name", name, command);
    await run("hyperfine", args, { env, inherit: true });
    const { results } = JSON.parse(readFileSync(exportFile, "utf8"));
    results.forEach((r, i) => {
      times[i].push(...r.times);
      roundMeans[i].push(r.mean);
    });
  }
  return commands.map((c, i) => ({
    name: c.name,
    command: c.display ?? c.command,
    runs: times[i].length,
    ...timeStats(times[i]),
    ...(rounds > 1 && { roundMeansMs: roundMeans[i].map((mean) => round(mean * 1000, 1)) }),
  }));
}

/** Mean, median, extremes and (sample) standard deviation of times in seconds, in ms, as hyperfine reports them. */
function timeStats(seconds) {
  const sorted = [...seconds].sort((a, b) => a - b);
  const n = sorted.length;
  const mean = sorted.reduce((sum, t) => sum + t, 0) / n;
  const median = n % 2 === 1 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  const variance = n > 1 ? sorted.reduce((sum, t) => sum + (t - mean) ** 2, 0) / (n - 1) : 0;
  const ms = (t) => round(t * 1000, 1);
  return {
    meanMs: ms(mean),
    stddevMs: ms(Math.sqrt(variance)),
    medianMs: ms(median),
    minMs: ms(sorted[0]),
    maxMs: ms(sorted[n - 1]),
  };
}
