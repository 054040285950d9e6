import { hostname } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { tmuxTerminal } from "../helpers/tmux.ts";
import { waitFor } from "../helpers/wait.ts";

// `rv tui` on a laptop, in a real 80x24 terminal, watching a Slurm lease on the dev cluster through the loopback
// sshd: every refresh and every action crosses ssh, and the task is cancelled on the cluster for real.
const laptop = makeHome("rv-tuic-laptop-");
const cluster = makeHome("rv-tuic-cluster-");
const root = join(cluster.root, "root");
const term = tmuxTerminal("rv-tuic");

/** The login node's own view of the lease's tasks (rv in the cluster root, on the same machine). */
const stateOf = async (name: string) => {
  const listed = await rv(root, ["tasks", "--lease", "tuic", "--json"]);
  return json<{ tasks: { name: string | null; state: string }[] }>(listed.stdout as string).tasks.find(
    (t) => t.name === name,
  )?.state;
};

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "tuic");
  const up = await rv(laptop.root, [
    // a CPU-only lease on the standard partition: other test files count the GPU partitions' GPUs meanwhile
    ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "2", "--time", "20m", "--segment", "10m"],
    ...["--name", "tuic"],
  ]);
  expect(up.exitCode, up.stderr as string).toBe(0);
  for (const args of [
    ["--name", "sleeper", "--", "sleep", "300"],
    ["--name", "hello", "--shell", "echo hello-out"],
  ]) {
    const submit = await rv(laptop.root, ["submit", "--lease", "tuic", ...args]);
    expect(submit.exitCode, submit.stderr as string).toBe(0);
  }
  await waitFor(async () => (await stateOf("sleeper")) === "running" && (await stateOf("hello")) === "succeeded", {
    what: "the tasks to run on the cluster",
    timeoutMs: 60_000,
    intervalMs: 500,
  });
  term.start(`env RV_HOME=${laptop.root} NO_COLOR=1 TERM=xterm-256color ${RV_BIN} tui`);
}, 180_000);

afterAll(async () => {
  term.kill();
  await rv(laptop.root, ["lease", "release", "tuic", "--now"]);
  await scancelByName(["rv-tuic-0", "rv-tuic-1"]);
  await closeSshMaster(laptop.root, "rv-tuic");
  laptop.cleanup();
  cluster.cleanup();
});

describe("rv tui across ssh", () => {
  test("shows the cluster lease's phase, its runner on a node, and its tasks", async () => {
    const screen = await term.until(
      "the cluster lease",
      (s) => /tuic .*running \(segment 0, job \d+\)/.test(s) && s.includes("sleeper") && s.includes("hello"),
      30_000,
    );
    expect(screen.split("\n")[0]).toMatch(/ssh rv-tuic/);
    // every dev-cluster node is this machine, so the runner's host is its name
    expect(screen).toMatch(new RegExp(`${hostname()} pid \\d+\\s+ok`));
  });

  test("logs come across ssh; cancel asks, and the task is cancelled on the cluster", async () => {
    term.keys("/");
    term.type("hello");
    term.keys("Enter");
    await term.until("the search", (s) => s.includes("/hello") && !s.includes("sleeper"));
    term.keys("Enter");
    await term.until("the menu", (s) => s.includes("retry"));
    term.keys("Enter");
    await term.until("hello's stdout", (s) => /logs \S+ stdout/.test(s) && s.includes("hello-out"), 10_000);
    term.keys("Escape");
    term.keys("/", "BSpace", "BSpace", "BSpace", "BSpace", "BSpace");
    term.type("sleeper");
    term.keys("Enter");
    await term.until("the sleeper alone", (s) => s.includes("/sleeper") && !/ hello /.test(s));
    term.keys("Enter", "j", "Enter");
    await term.until("the question", (s) => /cancel task \S+ \(sleeper\)\? y\/N/.test(s));
    term.keys("y");
    await term.until("the outcome", (s) => /cancel \S+ \(sleeper\): cancell/.test(s), 15_000);
    await waitFor(async () => (await stateOf("sleeper")) === "cancelled", {
      what: "the sleeper to be cancelled on the cluster",
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    await term.until("the cancelled task", (s) => /sleeper\s+cancelled/.test(s), 10_000);
  }, 90_000);

  test("q quits with status 0", async () => {
    term.keys("q");
    await waitFor(() => term.exitStatus() !== "", { what: "rv tui to exit" });
    expect(term.exitStatus()).toBe("0");
  });
});
