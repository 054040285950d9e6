import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { leasePaths, readHeartbeats } from "../../src/fsqueue/index.ts";
import { readTaskView } from "../../src/lease/index.ts";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// `rv up` on a real terminal: the lease, then a shell on its node inside the allocation; leaving the shell
// leaves the lease running, and `rv attach` gets back in. (A pty from script(1); the shell is bash -l.)
const laptop = makeHome("rv-attach-laptop-");
const cluster = makeHome("rv-attach-cluster-");
const root = join(cluster.root, "root");
const lease = `shell-${process.pid % 100_000}`;

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "at");
});

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", lease, "--now"]);
  await scancelByName([`rv-${lease}-0`]);
  await closeSshMaster(laptop.root, "rv-at");
  laptop.cleanup();
  cluster.cleanup();
});

/** Runs `rv ARGS` on a pty; each time the next cue shows on screen, types its keys; resolves with the screen. */
function onTerminal(args: string[], cues: [RegExp, string][]): Promise<{ screen: string; code: number | null }> {
  const command = [RV_BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, RV_HOME: laptop.root } });
  let screen = "";
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    const next = cues[0];
    if (next?.[0].test(screen)) {
      cues.shift();
      child.stdin.write(next[1]);
    }
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ screen, code })));
}

describe("a shell on the lease's node", () => {
  test("rv up opens a shell inside the allocation; the lease outlives it; rv attach gets back in", async () => {
    const probe: [RegExp, string] = [/attaching to lease/, "echo JOB=$SLURM_JOB_ID GPUS=$CUDA_VISIBLE_DEVICES\rexit\r"];
    const up = await onTerminal(
      ["up", "--partition", "gpu-mig", "--gpu", "1", "--segment", "5m", "--name", lease],
      [probe],
    );
    expect(up.code, up.screen).toBe(0);
    const job = /JOB=(\d+) GPUS=(\d+)/.exec(up.screen);
    expect(job, up.screen).not.toBeNull();

    const show = await rv(laptop.root, ["lease", "show", lease, "--json"]);
    const shown = json<{ segments: { segment: { jobId: string }; job: { state: { kind: string } } }[] }>(
      show.stdout as string,
    );
    expect(shown.segments[0]).toMatchObject({ segment: { jobId: job?.[1] }, job: { state: { kind: "running" } } });

    const again = await onTerminal(["attach", lease], [probe]);
    expect(again.code, again.screen).toBe(0);
    expect(again.screen).toContain(`JOB=${job?.[1]}`);

    // a running task: its runner's node and its directory
    const work = join(cluster.root, "work dir");
    mkdirSync(work);
    const submit = await rv(laptop.root, [
      "submit",
      "--json",
      "--lease",
      lease,
      "--gpus",
      "1",
      "--cwd",
      work,
      "--",
      "sleep",
      "300",
    ]);
    const id = json<{ tasks: { id: string }[] }>(submit.stdout as string).tasks[0]?.id ?? "?";
    const p = leasePaths(root, lease);
    const observer = { host: hostname(), nowMs: Date.now(), staleAfterMs: 60_000, pidAlive: () => true };
    await waitFor(() => readTaskView(p, id, observer)?.state === "running", { what: "the task to run" });
    const node = readHeartbeats(p)[0]?.node;
    expect(node).toMatch(/^mig/);
    const inTask = await onTerminal(
      ["attach", id.slice(-6)],
      [[/attaching to lease/, "echo NODE=$SLURMD_NODENAME JOB=$SLURM_JOB_ID WD=$PWD.\rexit\r"]],
    );
    expect(inTask.code, inTask.screen).toBe(0);
    expect(inTask.screen).toContain(`attaching to lease ${lease}: task ${id} on ${node}`);
    expect(inTask.screen).toContain(`NODE=${node} JOB=${job?.[1]} WD=${work}.`);
    await rv(root, ["cancel", id]);
  });

  test("Ctrl-C while the lease is pending asks; yes cancels it and its job", async () => {
    // A short job of someone else's holds both rtx3090 GPUs, so the lease pinned there waits behind it.
    const hold = await execa("sbatch", [
      ...["--parsable", "-J", `rv-hold-${process.pid}`, "-o", "/dev/null", "-t", "1", "-p", "interactive-rtx3090"],
      ...["--gres=gpu:rtx3090:2", "--wrap", "sleep 40"],
    ]);
    const name = `pending-${process.pid % 100_000}`;
    try {
      const { screen, code } = await onTerminal(
        ["lease", "up", "--partition", "interactive-rtx3090", "--gpu", "1", "--segment", "5m", "--name", name],
        [
          [/pending \(/, "\u0003"],
          [/cancel lease .*\? \[y\/N\]/, "y\r"],
        ],
      );
      expect(code, screen).toBe(130);
      expect(screen).toMatch(/released \(stopping now\); cancelled job \d+/);
      const left = await execa("squeue", ["-h", "-n", `rv-${name}-0`, "-o", "%i"]);
      expect(left.stdout.trim()).toBe("");
    } finally {
      await execa("scancel", [hold.stdout.trim()], { reject: false });
    }
  });

  test("rv ssh --config prints the cluster's host block for editors", async () => {
    const result = await rv(laptop.root, ["ssh", "--config"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Host rv-at\n {2}HostName 127\.0\.0\.1\n {2}Port 2222\n[\s\S]*ControlMaster auto\n/);
    expect(result.stdout).not.toMatch(/# <<</);
  });
});
