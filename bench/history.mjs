// (i) A long history: a lease of 100,000 finished tasks written by bench/history-fill.ts through rv's own record
// writer, then `rv status`, `rv tasks` and `rv tasks --json -n 0` timed by hyperfine (after one call that builds
// the done index), each with its peak RSS from one `/usr/bin/time` run, and `rv show` of a task by the end of its id
// (which may be a name, so every task's name is read), and `rv status` right after done/ changed (a busy lease: the
// index is brought up to date by stating every record). No peer keeps such a history; the targets (issue 18) are
// absolute. A runner's peak RSS is measured beside: one that runs 500 `true` tasks in that
// lease, and one that runs them in an empty lease, so "flat" is a comparison in the same run.
import { spawn } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { hyperfine, isolatedEnv, jsonlOf, log, ROOT, RV, run, workDir } from "./lib.mjs";

export const HISTORY_TARGETS_MS = { status: 100, tasks: 100, json: 1000 };

async function peakRssMb(command, env, dir) {
  const [file, ...args] = command.split(" ");
  const out = await run("/usr/bin/time", ["-f", "%M", file, ...args], { env, cwd: dir });
  const kb = Number(String(out.stderr).trim().split("\n").at(-1));
  return Math.round(kb / 1024);
}

/** The peak RSS (VmHWM) of a runner of `lease` after it ran `count` `true` tasks submitted at once. */
async function runnerPeakRssMb(env, dir, lease, count) {
  const runner = spawn(RV, ["runner", "--lease", lease, "--cpus", "2"], { env, stdio: "ignore" });
  try {
    const file = join(dir, `${lease}.jsonl`);
    writeFileSync(file, jsonlOf(["true"], count));
    await run(RV, ["submit", "--lease", lease, "--from", file], { env, cwd: dir });
    // Exit 1 when any task of the lease failed: the history has failures of its own.
    const waited = await run(RV, ["wait", "--all", "--lease", lease, "--timeout", "10m"], {
      env,
      cwd: dir,
      allowFail: true,
    });
    if (waited.code > 1) throw new Error(`rv wait --all --lease ${lease} exited ${waited.code}: ${waited.stderr}`);
    const kb = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${runner.pid}/status`, "utf8"))?.[1]);
    return Math.round(kb / 1024);
  } finally {
    runner.kill("SIGTERM");
  }
}

export async function runHistory({ tasks = 100_000, warmup = 1, runs = 5 } = {}) {
  log(`\n[history] ${tasks.toLocaleString("en-US")} finished tasks in one lease, hyperfine ${runs} runs`);
  const work = workDir("history");
  try {
    const home = join(work.dir, "home");
    const fill = await run(join(ROOT, "node_modules", ".bin", "bun"), [
      join(ROOT, "bench", "history-fill.ts"),
      home,
      "history",
      String(tasks),
    ]);
    const env = isolatedEnv({ RV_HOME: home });
    const doneDir = join(home, "leases", "history", "done");
    // The done index is trusted only once done/ has stood still for 2 s (PROTOCOL.md, "Done index"): past that,
    // the first reader builds it, and the runs measure readers that find it settled.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await run(RV, ["status"], { env, cwd: work.dir });
    // A reference by the end of an id may be a name too: it resolves against every task's name (no target).
    const [newest] = JSON.parse((await run(RV, ["tasks", "--json", "-n", "1"], { env, cwd: work.dir })).stdout).tasks;
    const suffix = newest.id.slice(-6);
    const commands = [
      { name: "rv status", command: `${RV} status` },
      { name: "rv tasks", command: `${RV} tasks` },
      { name: "rv tasks --json -n 0", command: `${RV} tasks --json -n 0` },
      {
        name: "rv show SUFFIX",
        command: `${RV} show ${suffix}`,
        display: `rv show ${suffix} (an id's last 6 characters)`,
      },
      // The newest 20 tasks' every attempt (no target): their records and the events since the oldest was submitted.
      { name: "rv stats", command: `${RV} stats` },
      {
        // Last, as it leaves the index unsettled. A busy lease: a task ended a moment ago, so the index is behind
        // done/ and brought up to date by stating every record (PROTOCOL.md, "Done index"). A dot-file created and
        // removed moves done/'s mtime as a finish does.
        name: "rv status (done/ just changed)",
        command: `${RV} status`,
        prepare: `sh -c 'touch ${doneDir}/.poke && rm ${doneDir}/.poke'`,
      },
    ];
    const results = await hyperfine(work.dir, commands, { warmup, runs, env });
    // The last row left an index built a moment after done/ changed: one reader past 2 s writes a settled one.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await run(RV, ["status"], { env, cwd: work.dir });
    for (const [i, c] of commands.entries()) {
      if (c.prepare) await run("sh", ["-c", `touch ${doneDir}/.poke && rm ${doneDir}/.poke`]);
      results[i].peakRssMb = await peakRssMb(c.command, env, work.dir);
    }
    const [status, list, json] = results;
    log(`  ${results.map((r) => `${r.name} ${r.meanMs} ms, ${r.peakRssMb} MB`).join("; ")}`);
    await run(join(ROOT, "node_modules", ".bin", "bun"), [join(ROOT, "bench", "history-fill.ts"), home, "fresh", "0"]);
    const runner = {
      tasks: 500,
      historyMb: await runnerPeakRssMb(env, work.dir, "history", 500),
      emptyMb: await runnerPeakRssMb(env, work.dir, "fresh", 500),
    };
    log(
      `  a runner's peak RSS over 500 tasks: ${runner.historyMb} MB in this history, ${runner.emptyMb} MB in an empty lease`,
    );
    return {
      tasks,
      fillMs: fill.ms,
      warmup,
      runs,
      results,
      runner,
      target: {
        what: `rv status and rv tasks <= ${HISTORY_TARGETS_MS.status} ms, rv tasks --json -n 0 <= ${HISTORY_TARGETS_MS.json} ms`,
        value: { status: status.meanMs, tasks: list.meanMs, json: json.meanMs },
        met:
          status.meanMs <= HISTORY_TARGETS_MS.status &&
          list.meanMs <= HISTORY_TARGETS_MS.tasks &&
          json.meanMs <= HISTORY_TARGETS_MS.json,
      },
    };
  } finally {
    await work.dispose();
  }
}
