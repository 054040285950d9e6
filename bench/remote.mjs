// (e) Read commands over ssh against the dev cluster (test/cluster/up.sh; real sshd on loopback): round trips
// per command (ssh processes started, counted by an `ssh` shim first in PATH) and wall time (hyperfine), a row
// per read verb of the operation layer, next to the peers: a bare `ssh HOST true` (the floor: one multiplexed
// round trip), `ssh HOST squeue --me`, and the four plain ssh calls a script needs to gather what `rv status` shows.
import { chmodSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperfine, isolatedEnv, log, nowMs, onCleanup, percentile, ROOT, RV, round, run, workDir } from "./lib.mjs";

export const TARGET_ROUND_TRIPS = 1;
const DEV_CLUSTER = process.env.RV_CLUSTER_STATE ?? "/var/lib/rv-devcluster";

export async function runRemote({ warmup = 3, runs = 20 } = {}) {
  log(`\n[remote] read commands over ssh to the dev cluster, hyperfine ${runs} runs after ${warmup} warm-ups`);
  await run(join(ROOT, "test", "cluster", "up.sh"), []);
  const work = workDir("remote");
  try {
    const { env, sshLog, sshConfig } = await initCluster(work.dir);
    const task = await finishedTask(env);
    // Every read verb of the operation layer, on a cluster lease from the laptop; and one write for scale.
    const commands = [
      { name: "rv status --json", args: ["status", "--json"] },
      { name: "rv tasks --json (both places)", args: ["tasks", "--json"] },
      { name: "rv tasks --lease sweep --json", args: ["tasks", "--lease", "sweep", "--json"] },
      { name: "rv logs ID", args: ["logs", task] },
      { name: "rv logs 1 (resolved over both places)", args: ["logs", "1"] },
      { name: "rv wait ID (finished)", args: ["wait", task] },
      { name: "rv lease ls --json", args: ["lease", "ls", "--json"] },
      { name: "rv lease show sweep --json", args: ["lease", "show", "sweep", "--json"] },
      { name: "rv resources --json", args: ["resources", "--json"] },
      { name: "rv doctor --json", args: ["doctor", "--json"] },
      { name: "rv submit --lease sweep -- true", args: ["submit", "--lease", "sweep", "--", "true"] },
    ];
    const roundTrips = {};
    for (const command of commands) roundTrips[command.name] = await countRoundTrips(command.args, env, sshLog);
    const ssh = `ssh -F ${sshConfig} rv-bench`;
    const peers = [
      { name: "ssh HOST true (1 round trip, the floor)", command: `${ssh} true` },
      { name: "ssh HOST squeue --me (1 round trip and a Slurm query)", command: `${ssh} squeue --me` },
      {
        name: "4 x ssh: sshare, squeue, scontrol -d show node, df (what rv status gathers)",
        command: `${ssh} sshare -l -P; ${ssh} squeue --me; ${ssh} scontrol -d show node; ${ssh} df -P /tmp`,
      },
    ];
    const rvTimes = await hyperfine(
      work.dir,
      commands.map((c) => ({ name: c.name, command: [RV, ...c.args].join(" ") })),
      { warmup, runs, env },
    );
    const peerTimes = await hyperfine(work.dir, peers, { warmup, runs, env, shell: true });
    const rows = rvTimes.map((r) => ({ ...r, roundTrips: roundTrips[r.name] }));
    for (const r of rows) log(`  ${r.name}: ${r.medianMs} ms median, ${r.roundTrips} round trip(s)`);
    for (const p of peerTimes) log(`  peer ${p.name}: ${p.medianMs} ms median`);
    const sweep = await measureSweep(env, sshConfig, 3);
    return {
      target: { roundTrips: TARGET_ROUND_TRIPS, met: rows.every((r) => r.roundTrips <= TARGET_ROUND_TRIPS) },
      warmup,
      runs,
      commands: rows,
      peers: peerTimes,
      sweep,
    };
  } finally {
    await work.dispose();
  }
}

/** `rv init` against the dev cluster with a private RV_HOME, a cluster root, and a lease to submit to. */
async function initCluster(dir) {
  const shim = join(dir, "shim");
  const sshLog = join(dir, "ssh.log");
  await run("mkdir", ["-p", shim]);
  writeFileSync(join(shim, "ssh"), `#!/bin/sh\necho "$*" >>'${sshLog}'\nexec /usr/bin/ssh "$@"\n`);
  chmodSync(join(shim, "ssh"), 0o755);
  const home = join(dir, "home");
  const root = join(dir, "cluster-root");
  const env = isolatedEnv({ RV_HOME: home, PATH: `${shim}:${process.env.PATH}`, NO_COLOR: "1" });
  await run(
    RV,
    [
      ...["init", "--yes", "--host", "127.0.0.1", "--port", "2222", "--user", "root", "--name", "bench"],
      ...["--identity-file", join(DEV_CLUSTER, "ssh", "id_ed25519"), "--account", "lab", "--root", root],
    ],
    { env },
  );
  const clusterEnv = isolatedEnv({ RV_HOME: root });
  await run(RV, ["lease", "up", "--local", "--name", "sweep", "--cpus", "1"], { env: clusterEnv });
  onCleanup(() => run(RV, ["lease", "release", "--all", "--now", "--wait"], { env: clusterEnv, allowFail: true }));
  const sshConfig = join(home, "ssh", "config");
  onCleanup(() => run("/usr/bin/ssh", ["-F", sshConfig, "-O", "exit", "rv-bench"], { allowFail: true }));
  return { env, sshLog, sshConfig };
}

/** A task of the cluster's lease that has finished: what the logs and wait rows read. */
async function finishedTask(env) {
  const { stdout } = await run(RV, ["submit", "--lease", "sweep", "--wait", "--json", "--", "echo", "bench"], { env });
  return JSON.parse(stdout).tasks[0].id;
}

/** ssh processes one run of the command starts (control commands like `-O check` excluded). */
async function countRoundTrips(args, env, sshLog) {
  writeFileSync(sshLog, "");
  await run(RV, args, { env });
  return readFileSync(sshLog, "utf8")
    .split("\n")
    .filter((line) => line && line !== "-V" && !/(^| )-O /.test(line)).length;
}

/**
 * A sweep of 1,000 points from the laptop to the cluster's lease (`rv sweep`, one round trip; the target is
 * under 5 s), beside its Slurm peer: one job array of 1,000 held jobs (`sbatch --array=1-1000 --hold`, then
 * cancelled). Each rv run is a new sweep (its points are new tasks); the lease runs them (`true`) after.
 */
async function measureSweep(env, sshConfig, runs) {
  log(`  sweep of 1,000 points, ${runs} runs`);
  const rvMs = [];
  const arrayMs = [];
  const ssh = (args) => run("/usr/bin/ssh", ["-F", sshConfig, "rv-bench", ...args], { env });
  for (let i = 0; i < runs; i++) {
    const t0 = nowMs();
    await run(
      RV,
      [
        "sweep",
        "--lease",
        "sweep",
        "--sweep",
        `bench-${i}`,
        "--json",
        "--",
        "true",
        `run${i}`,
        "--a",
        "{1..10}",
        "--b",
        "{1..100}",
      ],
      { env },
    );
    rvMs.push(nowMs() - t0);
    const t1 = nowMs();
    const { stdout } = await ssh([
      "sbatch",
      "--parsable",
      "--hold",
      "--array=1-1000",
      "-o",
      "/dev/null",
      "--wrap",
      "true",
    ]);
    arrayMs.push(nowMs() - t1);
    await ssh(["scancel", stdout.trim().split(";")[0]]);
  }
  const median = (values) => round(percentile(values, 50), 0);
  log(`  rv sweep (1,000 points): ${median(rvMs)} ms median; sbatch --array=1-1000 over ssh: ${median(arrayMs)} ms`);
  return {
    points: 1000,
    runs,
    rvMs: rvMs.map((v) => round(v, 0)),
    arrayMs: arrayMs.map((v) => round(v, 0)),
    rvMedianMs: median(rvMs),
    arrayMedianMs: median(arrayMs),
  };
}
