import { spawn } from "node:child_process";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";

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
  await execa("scancel", ["-n", `rv-${lease}-0`], { reject: false });
  await closeSshMaster(laptop.root, "rv-at");
  laptop.cleanup();
  cluster.cleanup();
});

/** Runs `rv ARGS` on a pty; once `ready` shows, types `lines` into the shell; resolves with the screen. */
function onTerminal(args: string[], ready: RegExp, lines: string[]): Promise<{ screen: string; code: number | null }> {
  const command = [RV_BIN, ...args].map((a) => `'${a}'`).join(" ");
  const child = spawn("script", ["-qfec", command, "/dev/null"], { env: { ...process.env, RV_HOME: laptop.root } });
  let screen = "";
  let typed = false;
  child.stdout.on("data", (chunk: Buffer) => {
    screen += chunk.toString();
    if (!typed && ready.test(screen)) {
      typed = true;
      child.stdin.write(lines.map((line) => `${line}\r`).join(""));
    }
  });
  return new Promise((resolve) => child.on("close", (code) => resolve({ screen, code })));
}

describe("a shell on the lease's node", () => {
  test("rv up opens a shell inside the allocation; the lease outlives it; rv attach gets back in", async () => {
    const probe = ["echo JOB=$SLURM_JOB_ID GPUS=$CUDA_VISIBLE_DEVICES", "exit"];
    const up = await onTerminal(
      ["up", "--partition", "gpu-mig", "--gpu", "1", "--segment", "5m", "--name", lease],
      /attaching to lease/,
      probe,
    );
    expect(up.code, up.screen).toBe(0);
    const job = /JOB=(\d+) GPUS=(\d+)/.exec(up.screen);
    expect(job, up.screen).not.toBeNull();

    const show = await rv(laptop.root, ["lease", "show", lease, "--json"]);
    const shown = json<{ segments: { segment: { jobId: string }; job: { state: { kind: string } } }[] }>(
      show.stdout as string,
    );
    expect(shown.segments[0]).toMatchObject({ segment: { jobId: job?.[1] }, job: { state: { kind: "running" } } });

    const again = await onTerminal(["attach", lease], /attaching to lease/, probe);
    expect(again.code, again.screen).toBe(0);
    expect(again.screen).toContain(`JOB=${job?.[1]}`);
  });

  test("rv ssh --config prints the cluster's host block for editors", async () => {
    const result = await rv(laptop.root, ["ssh", "--config"]);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/^Host rv-at\n {2}HostName 127\.0\.0\.1\n {2}Port 2222\n[\s\S]*ControlMaster auto\n/);
    expect(result.stdout).not.toMatch(/# <<</);
  });
});
