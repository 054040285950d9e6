import { spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { freeLocalPort } from "../../src/remote/index.ts";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// Ports and shells (issue 16): a task on a cluster lease serves HTTP on its node; `rv forward` from a laptop RV_HOME
// makes it answer on this machine's loopback, through the login node, until Ctrl-C. The dev cluster's nodes are this
// host, so the task's port is taken here by the task itself: the local port always differs from it.
const laptop = makeHome("rv-forward-laptop-");
const cluster = makeHome("rv-forward-cluster-");
const root = `${cluster.root}/root`;
const CLUSTER = "fw";
const lease = `fw-${process.pid % 100_000}`;
const served = join(cluster.root, "served");
const running: ResultPromise[] = [];

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, CLUSTER);
  const up = await rv(laptop.root, [
    ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "2", "--segment", "15m", "--name", lease],
  ]);
  expect(up.exitCode, up.stderr as string).toBe(0);
  mkdirSync(served, { recursive: true });
  writeFileSync(join(served, "hello.txt"), "served from the node\n");
}, 180_000);

afterAll(async () => {
  for (const child of running) child.kill("SIGKILL");
  await rv(laptop.root, ["lease", "release", "--all", "--now", "--wait"]);
  await scancelByName([`rv-${lease}-0`, `rv-${lease}-1`]);
  await closeSshMaster(laptop.root, `rv-${CLUSTER}`);
  laptop.cleanup();
  cluster.cleanup();
}, 120_000);

/** Starts `python3 -m http.server PORT` as a task of the lease, in the served directory; resolves with its id. */
async function serveTask(port: number): Promise<string> {
  const submit = await rv(laptop.root, [
    ...["submit", "--json", "--lease", lease, "--cwd", served, "--"],
    ...["python3", "-m", "http.server", String(port), "--bind", "0.0.0.0"],
  ]);
  expect(submit.exitCode, submit.stderr as string).toBe(0);
  const id = json<{ tasks: { id: string }[] }>(submit.stdout as string).tasks[0]?.id ?? "?";
  await waitFor(() => answers(port), { what: `the task's server on port ${port}`, timeoutMs: 60_000 });
  return id;
}

/** `rv forward ARGS` in the background, with what it has printed so far. */
function forward(args: string[]): { child: ResultPromise; out: () => string; err: () => string } {
  const child = execa(RV_BIN, ["forward", ...args], {
    env: { RV_HOME: laptop.root, NO_COLOR: "1" },
    reject: false,
    stdin: "ignore",
  });
  running.push(child);
  let out = "";
  let err = "";
  child.stdout?.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  return { child, out: () => out, err: () => err };
}

async function answers(port: number): Promise<string | null> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/hello.txt`, { signal: AbortSignal.timeout(3000) });
    return response.ok ? await response.text() : null;
  } catch {
    return null;
  }
}

describe("rv forward", () => {
  test("PORT:LOCAL TASK answers on the local port until Ctrl-C, then stops", async () => {
    const port = await freeLocalPort(20_000 + (process.pid % 20_000), false);
    const id = await serveTask(port);
    const local = await freeLocalPort(port + 1, false);
    const fw = forward([`${port}:${local}`, id]);
    const url = `http://127.0.0.1:${local}/`;
    await waitFor(() => fw.out().includes(url), { what: `rv forward to print ${url}: ${fw.err()}`, timeoutMs: 60_000 });
    expect(await answers(local)).toBe("served from the node\n");
    expect(fw.err()).toMatch(new RegExp(`forwarding from task ${id} on cpu-0\\d until Ctrl-C`));

    fw.child.kill("SIGINT");
    const done = await fw.child;
    expect(done.exitCode, fw.err()).toBe(0);
    await waitFor(async () => (await answers(local)) === null, { what: "the local port to stop answering" });
    expect(await answers(port)).toBe("served from the node\n");
    await rv(laptop.root, ["cancel", id]);
  }, 180_000);

  test("--auto finds the port the task listens on and moves to a free local port, saying so", async () => {
    const port = await freeLocalPort(40_000 + (process.pid % 20_000), false);
    const id = await serveTask(port);
    const fw = forward(["--auto", "--json", id]);
    const shown = await waitFor(
      () => {
        try {
          return json<{ forwards: { url: string; port: number; localPort: number }[] }>(fw.out());
        } catch {
          return null;
        }
      },
      { what: `rv forward --auto to print its forwards: ${fw.err()}`, timeoutMs: 60_000 },
    );
    expect(shown.forwards, `rv forward --auto answered: ${fw.out()} ${fw.err()}`).toBeDefined();
    const found = shown.forwards.find((f) => f.port === port);
    expect(found, fw.out()).toBeDefined();
    expect(found?.localPort).not.toBe(port);
    expect(fw.err()).toContain(`local port ${port} is taken: using ${found?.localPort}`);
    expect(await answers(found?.localPort ?? 0)).toBe("served from the node\n");

    fw.child.kill("SIGINT");
    expect((await fw.child).exitCode, fw.err()).toBe(0);
    await waitFor(async () => (await answers(found?.localPort ?? 0)) === null, { what: "the forward to end" });
    await rv(laptop.root, ["cancel", id]);
  }, 180_000);

  test("a local lease's ports are here already: rv forward says so and forwards nothing", async () => {
    const here = await rv(laptop.root, ["lease", "up", "--local", "--name", "here"]);
    expect(here.exitCode, here.stderr as string).toBe(0);
    const said = await rv(laptop.root, ["forward", "8888", "here"]);
    expect(said.exitCode).toBe(0);
    expect(said.stderr).toContain("lease here runs on this machine: its ports are here already");
    expect(said.stdout).toBe("http://127.0.0.1:8888/\n");
  });
});

describe("rv ssh TASK", () => {
  test("runs on the task's node, inside its job", async () => {
    const port = await freeLocalPort(30_000 + (process.pid % 20_000), false);
    const id = await serveTask(port);
    // ssh -t needs a terminal: script(1) gives rv one; the probe is typed once rv says where it attaches, as in
    // slurm-attach.cluster.test.ts.
    const shell = spawn("script", ["-qfec", `'${RV_BIN}' ssh '${id}'`, "/dev/null"], {
      env: { ...process.env, RV_HOME: laptop.root, NO_COLOR: "1" },
    });
    let screen = "";
    let typed = false;
    shell.stdout.on("data", (chunk: Buffer) => {
      screen += chunk.toString();
      if (!typed && /attaching to lease/.test(screen)) {
        typed = true;
        shell.stdin.write("echo NODE=$SLURMD_NODENAME WD=$PWD.\rexit\r");
      }
    });
    const code = await new Promise((resolve) => shell.on("close", resolve));
    expect(code, screen).toBe(0);
    expect(screen).toMatch(/NODE=cpu-0\d WD=.*served\./);
    await rv(laptop.root, ["cancel", id]);
  }, 180_000);
});
