import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// One operation layer: every verb works the same on a lease of this machine and on a lease of the dev cluster,
// both driven from a laptop RV_HOME after `rv init`. The same test body runs against each.
const laptop = makeHome("rv-verbs-laptop-");
const cluster = makeHome("rv-verbs-cluster-");
const root = `${cluster.root}/root`;
const CLUSTER = "vb";

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, CLUSTER);
  const here = await rv(laptop.root, ["lease", "up", "--local", "--name", "here", "--cpus", "4"]);
  expect(here.exitCode, here.stderr as string).toBe(0);
  const there = await rv(laptop.root, [
    ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "4", "--segment", "15m"],
    ...["--name", "there", "--json"],
  ]);
  expect(there.exitCode, there.stderr as string).toBe(0);
}, 180_000);

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", "--all", "--now", "--wait"]);
  await scancelByName(["rv-there-0", "rv-there-1"]);
  await closeSshMaster(laptop.root, `rv-${CLUSTER}`);
  laptop.cleanup();
  cluster.cleanup();
}, 120_000);

const laptopRv = (args: string[]) => rv(laptop.root, args);

async function submit(lease: string, argv: string[]): Promise<string> {
  const result = await laptopRv(["submit", "--lease", lease, "--json", "--", ...argv]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<{ tasks: { id: string }[] }>(result.stdout as string).tasks[0]?.id ?? "";
}

interface Listed {
  tasks: { id: string; state: string; attempt: number; place: string; startedAt: string | null }[];
}

async function listed(args: string[]): Promise<Listed["tasks"]> {
  const result = await laptopRv(["tasks", "--json", "-n", "0", ...args]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<Listed>(result.stdout as string).tasks;
}

/** A process of the sleeping task, found by its unique argument (the dev cluster's nodes run on this host). */
async function sleeping(seconds: number): Promise<boolean> {
  return (await execa("pgrep", ["-f", `sleep ${seconds}`], { reject: false })).exitCode === 0;
}

describe.each([
  { where: "a lease on this machine", lease: "here", place: "local" },
  { where: "a lease on the cluster", lease: "there", place: CLUSTER },
])("every verb on $where, from the laptop", ({ lease, place }) => {
  test("submit, tasks, logs, logs -f, wait, cancel, requeue and lease show", { timeout: 120_000 }, async () => {
    const seconds = 3000 + Math.floor(Math.random() * 900);
    const ok = await submit(lease, ["sh", "-c", 'echo "hello from $RV_LEASE_ID"']);
    const failing = await submit(lease, ["sh", "-c", "echo oops >&2; exit 3"]);
    const sleeper = await submit(lease, ["sleep", String(seconds)]);

    // logs -f started at once follows each task from its first line, even while it is still pending
    const lines = await submit(lease, ["sh", "-c", "for i in 1 2 3; do echo line $i; sleep 1; done"]);
    const follow = await laptopRv(["logs", "-f", lines, "--lease", lease]);
    expect(follow.exitCode, follow.stderr as string).toBe(0);
    expect(follow.stdout).toBe("line 1\nline 2\nline 3\n");

    // wait: its exit status reflects the failure; one task alone gives that task's own status
    const both = await laptopRv(["wait", ok, failing, "--lease", lease, "--timeout", "60s"]);
    expect(both.exitCode, both.stderr as string).toBe(1);
    expect(both.stdout).toBe(`${ok}\tsucceeded\n${failing}\tfailed\n`);
    expect((await laptopRv(["wait", failing])).exitCode).toBe(3);

    const logs = await laptopRv(["logs", ok]);
    expect(logs.stdout).toBe(`hello from ${lease}\n`);
    expect((await laptopRv(["logs", failing, "--stderr"])).stdout).toBe("oops\n");
    // Its stdout is empty: rv says where its output went.
    const quiet = await laptopRv(["logs", failing]);
    expect([quiet.exitCode, quiet.stdout]).toEqual([0, ""]);
    expect(quiet.stderr).toBe(
      `rv: task ${failing} wrote nothing to stdout; its stderr has 5 bytes: rv logs ${failing} --stderr\n`,
    );
    expect(json<{ otherBytes: number }>((await laptopRv(["logs", failing, "--json"])).stdout as string)).toMatchObject({
      text: "",
      otherBytes: 5,
    });

    // tasks: the running task has its start time; each row says where it lives
    await waitFor(async () => (await listed(["--lease", lease])).find((t) => t.id === sleeper)?.state === "running", {
      what: "the sleeper to run",
      timeoutMs: 30_000,
    });
    const rows = await listed(["--lease", lease]);
    expect(rows.find((t) => t.id === sleeper)).toMatchObject({
      state: "running",
      place,
      startedAt: expect.any(String),
    });
    expect(rows.find((t) => t.id === failing)).toMatchObject({ state: "failed", place });
    expect(await sleeping(seconds)).toBe(true);

    // cancel: the sleeping task's process group is gone on the node
    const cancel = await laptopRv(["cancel", sleeper, "--json"]);
    expect(cancel.exitCode, cancel.stderr as string).toBe(0);
    expect(json<{ tasks: { outcome: string }[] }>(cancel.stdout as string).tasks).toEqual([
      expect.objectContaining({ outcome: "cancelled" }),
    ]);
    await waitFor(async () => !(await sleeping(seconds)), { what: "the sleeper's process to be gone" });

    // requeue: the failed task runs again as attempt 2
    const requeue = await laptopRv(["requeue", failing]);
    expect(requeue.stdout).toBe(`${failing}\trequeued (was failed)\n`);
    expect((await laptopRv(["wait", failing, "--timeout", "60s"])).exitCode).toBe(3);
    expect((await listed(["--lease", lease])).find((t) => t.id === failing)).toMatchObject({ attempt: 2 });

    const show = await laptopRv(["lease", "show", lease, "--json"]);
    expect(show.exitCode, show.stderr as string).toBe(0);
    const shown = json<{ lease: { id: string }; counts: Record<string, number> }>(show.stdout as string);
    expect(shown.lease.id).toBe(lease);
    expect(shown.counts).toMatchObject({ succeeded: 2, failed: 1, cancelled: 1 });
  });

  test("Ctrl-C at the terminal stops following, never the task", { timeout: 60_000 }, async () => {
    // As a terminal sends it: SIGINT to rv's whole process group, so to anything rv started in it too.
    const run = execa(RV_BIN, ["run", "--lease", lease, "--", "sh", "-c", "echo started; exec sleep 40"], {
      env: { RV_HOME: laptop.root, NO_COLOR: "1" },
      reject: false,
      detached: true,
    });
    let out = "";
    run.stdout?.on("data", (chunk) => {
      out += chunk;
    });
    await waitFor(() => out.includes("started"), { what: "the task's first line", timeoutMs: 30_000 });
    process.kill(-(run.pid as number), "SIGINT");
    const stopped = await run;
    expect(stopped.exitCode, stopped.stderr).toBe(130);
    expect(stopped.stderr).toMatch(/stopped following; the task goes on \(rv logs -f (\w+)\)/);
    const id = /rv logs -f (\w+)/.exec(stopped.stderr)?.[1] ?? "";
    expect((await listed(["--lease", lease])).find((t) => t.id === id)?.state).toBe("running");
    expect((await laptopRv(["cancel", id])).exitCode).toBe(0);
  });

  test("run --json: the task's output goes to stderr, stdout is one JSON document", async () => {
    const run = await laptopRv(["run", "--lease", lease, "--json", "--", "sh", "-c", "echo out; exit 4"]);
    expect(run.exitCode).toBe(4);
    const doc = json<{ tasks: { state: string; exitCode: number }[] }>(run.stdout as string);
    expect(doc.tasks).toEqual([expect.objectContaining({ state: "failed", exitCode: 4 })]);
    expect(run.stderr).toContain("out\n");
  });

  test("sweep: a 3x3 grid with a failing point, sweep show, a resubmit that skips what succeeded, and --from", {
    timeout: 120_000,
  }, async () => {
    const id = `grid-${lease}`;
    const argv = ["sh", "-c", 'test "$2" != bad', "sh", "--a", "{x,bad,z}", "--b", "{1..3}"];
    type Swept = { submitted: { id: string; name: string }[]; skipped: { name: string; state: string }[] };
    const sweep = async (extra: string[], command = argv) => {
      const result = await laptopRv(["sweep", "--lease", lease, "--sweep", id, "--json", ...extra, "--", ...command]);
      expect(result.exitCode, result.stderr as string).toBe(0);
      return json<Swept>(result.stdout as string);
    };
    const dry = await sweep(["--dry-run"]);
    expect(dry.submitted.map((p) => p.name)).toEqual([
      "a=x,b=1",
      "a=x,b=2",
      "a=x,b=3",
      "a=bad,b=1",
      "a=bad,b=2",
      "a=bad,b=3",
      "a=z,b=1",
      "a=z,b=2",
      "a=z,b=3",
    ]);
    expect(await listed(["--lease", lease, "--name", "^a=x,b=1$"])).toEqual([]);

    const first = await sweep([]);
    const ids = first.submitted.map((p) => p.id);
    expect(ids).toHaveLength(9);
    const waited = await laptopRv(["wait", ...ids, "--lease", lease, "--timeout", "60s"]);
    expect(waited.exitCode, waited.stderr as string).toBe(1);

    type Shown = {
      counts: Record<string, number>;
      tasks: { sweep: { point: Record<string, string> }; state: string }[];
    };
    const shown = json<Shown>((await laptopRv(["sweep", "show", id, "--json"])).stdout as string);
    expect(shown.counts).toEqual({ succeeded: 6, failed: 3 });
    expect(shown.tasks.filter((t) => t.state === "failed").map((t) => t.sweep.point)).toEqual([
      { a: "bad", b: "1" },
      { a: "bad", b: "2" },
      { a: "bad", b: "3" },
    ]);
    const human = await laptopRv(["sweep", "show", id]);
    expect(human.stdout).toContain(`sweep ${id}: 9 points: 6 succeeded, 3 failed\n`);
    expect(human.stdout).toMatch(/^bad +2 +\w+ +failed +1 /m);

    // sweep ls: every sweep of both places, the one submitted to last first; sweep show alone shows that one.
    type Summary = { id: string; place: string; leases: string[]; points: number; counts: Record<string, number> };
    const sweeps = json<{ sweeps: Summary[] }>((await laptopRv(["sweep", "ls", "--json"])).stdout as string).sweeps;
    expect(sweeps[0]).toEqual(
      expect.objectContaining({ id, place, leases: [lease], points: 9, counts: { succeeded: 6, failed: 3 } }),
    );
    const newest = await laptopRv(["sweep", "show"]);
    expect(newest.exitCode, newest.stderr as string).toBe(0);
    expect(newest.stderr).toContain(`rv: sweep ${id}, the newest (rv sweep ls lists them)`);
    expect(newest.stdout).toContain(`sweep ${id}: 9 points: 6 succeeded, 3 failed\n`);
    const table = await laptopRv(["sweep", "ls"]);
    expect(table.stdout).toMatch(
      new RegExp(`^${id} +${place === "local" ? "" : `${place}:`}${lease} +9 +6 succeeded, 3 failed `, "m"),
    );

    // Submitted again: the 6 that succeeded are skipped, the failed points run again.
    const again = await sweep([]);
    expect(again.skipped.map((p) => p.state)).toEqual(Array(6).fill("succeeded"));
    expect(again.submitted.map((p) => p.name)).toEqual(["a=bad,b=1", "a=bad,b=2", "a=bad,b=3"]);
    await laptopRv(["wait", ...again.submitted.map((p) => p.id), "--lease", lease, "--timeout", "60s"]);

    // --from: the points of a CSV file fill the command's {name} placeholders.
    const points = join(laptop.root, `points-${lease}.csv`);
    writeFileSync(points, 'a,b\nx,"7"\nq,8\n');
    const fromFile = await laptopRv(["sweep", "--lease", lease, "--json", "--from", points, "--", "echo", "{a}-{b}"]);
    expect(fromFile.exitCode, fromFile.stderr as string).toBe(0);
    const rows = json<Swept>(fromFile.stdout as string).submitted;
    expect(rows.map((p) => p.name)).toEqual(["a=x,b=7", "a=q,b=8"]);
    const out = await laptopRv(["logs", rows[1]?.id ?? "?", "--lease", lease, "-f"]);
    expect(out.stdout).toBe("q-8\n");

    // A subcommand's name after -- is not taken for the command to sweep: rv says so, and submits nothing.
    const word = await laptopRv(["sweep", "--lease", lease, "--", "ls", "-l", "{a,b}"]);
    expect(word.exitCode).toBe(2);
    expect(word.stderr).toContain('after --, "ls" is rv sweep ls, not the command to sweep');

    // The braces a shell expanded before rv saw them: one point, and rv says why that may be.
    const expanded = await laptopRv(["sweep", "--lease", lease, "--dry-run", "--", "echo", "--lr", "1e-3", "3e-4"]);
    expect(expanded.exitCode).toBe(0);
    expect(expanded.stderr).toContain("quote them: '{1..3}'");
  });

  test('a task submits more tasks into its own lease with "$RV" submit (dynamic task generation)', async () => {
    const parent = await submit(lease, [
      ...["sh", "-c", 'for i in 1 2; do "$RV" submit --name "child-$RV_TASK_ID-$i" -- echo "child $i" || exit 1; done'],
    ]);
    const waited = await laptopRv(["wait", parent, "--lease", lease, "--timeout", "60s"]);
    expect(waited.exitCode, `${waited.stdout}${waited.stderr}`).toBe(0);
    const children = await listed(["--lease", lease, "--name", `^child-${parent}-`]);
    expect(children).toHaveLength(2);
    const both = await laptopRv(["wait", ...children.map((c) => c.id), "--lease", lease, "--timeout", "60s"]);
    expect(both.exitCode, both.stderr as string).toBe(0);
  });

  test("--tag picks the tasks of rv tasks, cancel, wait and requeue; rv tags counts them by state", async () => {
    const tag = `t-${lease}-${Date.now() % 100_000}`;
    const tagged = async (argv: string[]) => {
      const result = await laptopRv(["submit", "--lease", lease, "--tag", tag, "--json", "--", ...argv]);
      expect(result.exitCode, result.stderr as string).toBe(0);
      return json<{ tasks: { id: string }[] }>(result.stdout as string).tasks[0]?.id ?? "";
    };
    const ok = await tagged(["true"]);
    const bad = await tagged(["sh", "-c", "exit 2"]);
    const long = await tagged(["sleep", String(4000 + Math.floor(Math.random() * 900))]);
    await submit(lease, ["true"]);
    expect((await listed(["--tag", tag])).map((t) => t.id)).toEqual([ok, bad, long]);

    const cancel = await laptopRv(["cancel", "--tag", tag, "--json"]);
    expect(cancel.exitCode, cancel.stderr as string).toBe(0);
    const waited = await laptopRv(["wait", "--tag", tag, "--timeout", "60s"]);
    expect(waited.exitCode).toBe(1);
    expect(waited.stdout).toBe(`${ok}\tsucceeded\n${bad}\tfailed\n${long}\tcancelled\n`);

    type Tags = { tags: { tag: string; total: number; states: Record<string, number> }[] };
    const counted = json<Tags>((await laptopRv(["tags", "--json"])).stdout as string).tags.find((t) => t.tag === tag);
    expect(counted).toEqual({ tag, total: 3, states: { succeeded: 1, failed: 1, cancelled: 1 } });

    const requeued = await laptopRv(["requeue", "--tag", tag, "--json"]);
    expect(requeued.exitCode, requeued.stderr as string).toBe(0);
    const back = json<{ tasks: { id: string; outcome: string }[] }>(requeued.stdout as string).tasks;
    expect(back.map((t) => t.id).sort()).toEqual([bad, long].sort());
    await laptopRv(["cancel", "--tag", tag]);
  });

  test("a sweep with --retry 1: the point whose first attempt fails succeeds on its second", async () => {
    const id = `retry-${lease}`;
    const result = await laptopRv([
      ...["sweep", "--lease", lease, "--sweep", id, "--retry", "1", "--retry-delay", "1s", "--json", "--"],
      ...["sh", "-c", 'test "$2" != bad || test "$RV_ATTEMPT" -gt 1', "sh", "--p", "{ok,bad,fine}"],
    ]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    const ids = json<{ submitted: { id: string }[] }>(result.stdout as string).submitted.map((p) => p.id);
    const waited = await laptopRv(["wait", ...ids, "--lease", lease, "--timeout", "60s"]);
    expect(waited.exitCode, waited.stderr as string).toBe(0);
    type Shown = { counts: Record<string, number>; tasks: { sweep: { point: { p: string } }; attempt: number }[] };
    const shown = json<Shown>((await laptopRv(["sweep", "show", id, "--json"])).stdout as string);
    expect(shown.counts).toEqual({ succeeded: 3 });
    expect(shown.tasks.map((t) => [t.sweep.point.p, t.attempt])).toEqual([
      ["ok", 1],
      ["bad", 2],
      ["fine", 1],
    ]);

    // rv stats of the lease's newest 3 (the sweep's points): every attempt of each, the retried point's two.
    type Stats = { total: number; tasks: { id: string; place: string; attempts: { state: string }[] }[] };
    const stats = json<Stats>((await laptopRv(["stats", "--lease", lease, "-n", "3", "--json"])).stdout as string);
    expect(stats.tasks.map((t) => [t.id, t.place, t.attempts.map((a) => a.state)])).toEqual([
      [ids[0], place, ["succeeded"]],
      [ids[1], place, ["requeued", "succeeded"]],
      [ids[2], place, ["succeeded"]],
    ]);
    expect(stats.total).toBeGreaterThan(3);

    // rv show: the retried point's two attempts, each with how it ended and its log files.
    type Detail = {
      retry: { max: number };
      retried: number;
      attempts: { attempt: number; outcome: string; out: { exists: boolean } }[];
    };
    const detail = json<Detail>((await laptopRv(["show", ids[1] ?? "?", "--json"])).stdout as string);
    expect(detail.retry.max).toBe(1);
    expect(detail.retried).toBe(1);
    expect(detail.attempts.map((a) => [a.attempt, a.outcome])).toEqual([
      [1, expect.stringMatching(/^requeued: attempt 1 exit code 1: retry 1 of 1; next attempt 2 not before /)],
      [2, "succeeded"],
    ]);
    const page = await laptopRv(["show", ids[1] ?? "?"]);
    expect(page.stdout).toMatch(/^task \w+ \(p=bad\) in lease /);
    expect(page.stdout).toContain("succeeded, attempt 2 (retried 1 of 1)");
    expect(page.stdout).toMatch(/^ {4}2 {2}started .*: succeeded$/m);
  });

  test("--after 'prep-*': blocked while the preps run, dep_failed with a failed prep, unblocked by its requeue", {
    timeout: 90_000,
  }, async () => {
    const submitNamed = async (name: string, extra: string[], argv: string[]) => {
      const result = await laptopRv(["submit", "--lease", lease, "--name", name, "--json", ...extra, "--", ...argv]);
      expect(result.exitCode, result.stderr as string).toBe(0);
      return json<{ tasks: { id: string }[] }>(result.stdout as string).tasks[0]?.id ?? "";
    };
    const prep = `prep-${lease}`;
    // The second prep's first attempt fails only once the test has seen the chain blocked: a fixed sleep raced the
    // submissions and the listing under load (the runner and the laptop share this host).
    const gate = join(laptop.root, `gate-${lease}`);
    await submitNamed(`${prep}-1`, [], ["sleep", "3"]);
    const gated = 'while [ ! -e "$1" ]; do sleep 0.1; done; test "$RV_ATTEMPT" -gt 1';
    const failing = await submitNamed(`${prep}-2`, [], ["sh", "-c", gated, "sh", gate]);
    const train = await submitNamed(`train-${lease}`, ["--after", `${prep}-*`], ["echo", "trained"]);
    const evaluate = await submitNamed(`eval-${lease}`, ["--after", `train-${lease}`], ["echo", "evaluated"]);
    const stateOf = async (id: string) => (await listed(["--lease", lease])).find((t) => t.id === id)?.state;
    expect(await stateOf(train)).toBe("blocked");
    writeFileSync(gate, "");

    // The failed prep ends the chain: both wait for nothing more, and rv wait says they failed.
    const waited = await laptopRv(["wait", train, evaluate, "--json", "--timeout", "60s"]);
    expect(waited.exitCode).toBe(1);
    type Ended = { tasks: { id: string; state: string; reason: string | null }[] };
    const ended = json<Ended>(waited.stdout as string).tasks;
    expect(ended.map((t) => t.state)).toEqual(["dep_failed", "dep_failed"]);
    expect(ended[0]?.reason).toBe(`dependency ${prep}-2 (${failing}) failed`);

    // Its requeue (by name) brings the chain back; the prep's second attempt succeeds, and so do they.
    const requeued = await laptopRv(["requeue", `${prep}-2`, "--json"]);
    expect(requeued.exitCode, requeued.stderr as string).toBe(0);
    const back = json<{ tasks: { id: string; from: string }[] }>(requeued.stdout as string).tasks;
    // Those the runner had recorded dep_failed are listed as requeued with it; any it had not yet are still pending.
    expect(back[0]).toMatchObject({ id: failing, from: "failed" });
    expect(back.slice(1).every((t) => [train, evaluate].includes(t.id) && t.from === "dep_failed")).toBe(true);
    const again = await laptopRv(["wait", evaluate, "--timeout", "60s"]);
    expect(again.exitCode, again.stderr as string).toBe(0);
    expect((await laptopRv(["logs", `train-${lease}`])).stdout).toBe("trained\n");

    // References that name nothing, and loops, are refused before anything is written.
    const before = (await listed(["--lease", lease])).length;
    const unknown = await laptopRv(["submit", "--lease", lease, "--after", "no-such-task", "--", "true"]);
    expect(unknown.exitCode).not.toBe(0);
    expect(unknown.stderr).toContain(`--after no-such-task: no task of lease ${lease} has this id, name or tag`);
    const loop = await laptopRv(["submit", "--lease", lease, "--name", "me", "--after", "me", "--", "true"]);
    expect(loop.stderr).toContain("--after makes a loop: me -> me");
    expect((await listed(["--lease", lease])).length).toBe(before);
  });

  test("--max-running 2 is never exceeded, as the done records tell", { timeout: 90_000 }, async () => {
    const id = `cap-${lease}`;
    const result = await laptopRv([
      ...["sweep", "--lease", lease, "--sweep", id, "--max-running", "2", "--json", "--"],
      ...["sh", "-c", "sleep 1", "sh", "--i", "{1..5}"],
    ]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    expect((await laptopRv(["wait", "--tag", id, "--timeout", "60s"])).exitCode).toBe(0);
    const ran = await listed(["--tag", id]);
    type Ran = { startedAt: string | null; endedAt?: string | null };
    const edges = (ran as Ran[]).flatMap((t) => [
      { at: Date.parse(t.startedAt ?? ""), step: 1 },
      { at: Date.parse(t.endedAt ?? ""), step: -1 },
    ]);
    edges.sort((a, b) => a.at - b.at || a.step - b.step);
    let running = 0;
    let most = 0;
    for (const edge of edges) {
      running += edge.step;
      most = Math.max(most, running);
    }
    expect(ran).toHaveLength(5);
    expect(most).toBe(2);
  });

  test("a command naming a file of this directory: on the cluster, without --sync, a warning names it", async () => {
    const dir = join(laptop.root, `code-${lease}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "train.py"), 'print("trained")\n');
    const result = await rv(laptop.root, ["submit", "--lease", lease, "--", "python3", "train.py", "--lr", "3e-4"], {
      cwd: dir,
    });
    expect(result.exitCode, result.stderr as string).toBe(0);
    const warned = /warning: train\.py is a file here, but the task runs in your home on the cluster.*add --sync/;
    if (place === "local") expect(result.stderr).not.toMatch(/warning/);
    else expect(result.stderr).toMatch(warned);
  });

  test("an rv.toml job with variable expansion runs there as here", async () => {
    const dir = join(laptop.root, `project-${lease}`);
    mkdirSync(dir, { recursive: true });
    const $ = (name: string) => `\${${name}}`; // ${NAME} as rv.toml writes it
    const toml = `[jobs.hello]\ncommand = "echo ${$("GREETING:-hi")} ${$("WHO")} ${$("STAGE")}"\nenv = { STAGE = "${$("STAGE:-dev")}" }\n`;
    writeFileSync(join(dir, "rv.toml"), toml);
    writeFileSync(join(dir, ".env"), "GREETING=hello\n");
    const run = await rv(laptop.root, ["submit", "--lease", lease, "hello", "--who", "world", "--follow"], {
      cwd: dir,
    });
    expect(run.exitCode, run.stderr as string).toBe(0);
    expect(String(run.stdout).trim().split("\n").at(-1)).toBe("hello world dev");
  });

  test("rv notify: a failed task is told to a webhook once, from where the lease runs", {
    timeout: 60_000,
  }, async () => {
    const bodies: { type: string; name?: string }[] = [];
    const server = createServer((req, res) => {
      let body = "";
      req.on("data", (chunk) => {
        body += chunk;
      });
      req.on("end", () => {
        bodies.push(JSON.parse(body));
        res.end("ok");
      });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const where = place === "local" ? "--local" : "--cluster";
    try {
      const set = await laptopRv(["notify", "set", where, "--webhook", url, "--format", "json", "--on", "task-failed"]);
      expect(set.exitCode, set.stderr as string).toBe(0);
      const failed = (name: string) => bodies.filter((b) => b.type === "task-failed" && b.name === name).length;
      for (const name of [`told-${lease}-1`, `told-${lease}-2`]) {
        const result = await laptopRv(["submit", "--lease", lease, "--name", name, "--", "sh", "-c", "exit 3"]);
        expect(result.exitCode, result.stderr as string).toBe(0);
        await waitFor(() => failed(name) > 0, { timeoutMs: 30_000, what: `${name} told` });
      }
      // By the second task's notice, a second one of the first would have come: there is none.
      expect(failed(`told-${lease}-1`)).toBe(1);
      expect(failed(`told-${lease}-2`)).toBe(1);
    } finally {
      await laptopRv(["notify", "off", where]);
      server.close();
    }
  });
});

describe("both places as one", () => {
  test("with no --lease, rv tasks lists this machine's and the cluster's tasks together, each saying where", async () => {
    const places = new Set((await listed([])).map((t) => t.place));
    expect(places).toEqual(new Set(["local", CLUSTER]));
    const human = await laptopRv(["tasks", "-n", "0"]);
    expect(human.stdout).toMatch(/^\w+\s+local\s/m);
    expect(human.stdout).toMatch(new RegExp(`^\\w+\\s+${CLUSTER}\\s`, "m"));
  });

  test("a number counts back over both places, and a suffix finds a task wherever it lives", async () => {
    const local = await submit("here", ["echo", "older, here"]);
    const remote = await submit("there", ["echo", "newer, there"]);
    expect((await laptopRv(["wait", "1", "2", "--timeout", "60s"])).exitCode).toBe(0);
    expect((await laptopRv(["logs", "1"])).stdout).toBe("newer, there\n");
    expect((await laptopRv(["logs", "2"])).stdout).toBe("older, here\n");
    expect((await laptopRv(["logs", remote.slice(-6)])).stdout).toBe("newer, there\n");
    expect((await laptopRv(["logs", local.slice(-6)])).stdout).toBe("older, here\n");
    // rv stats with nothing named: the newest of both places together.
    type Stats = { total: number; tasks: { id: string; place: string }[] };
    const stats = json<Stats>((await laptopRv(["stats", "-n", "2", "--json"])).stdout as string);
    expect(stats.tasks.map((t) => [t.id, t.place])).toEqual([
      [local, "local"],
      [remote, CLUSTER],
    ]);
    expect(stats.total).toBe((await listed([])).length);
  });

  test("a cluster lease answers lease show, lease ls and lease release --dry-run like a local one", async () => {
    const dry = await laptopRv(["lease", "release", "there", "--dry-run", "--json"]);
    expect(dry.exitCode, dry.stderr as string).toBe(0);
    expect(json<{ dryRun: boolean; leases: { id: string; where: string }[] }>(dry.stdout as string)).toMatchObject({
      dryRun: true,
      leases: [{ id: "there", where: CLUSTER }],
    });
    const ls = await laptopRv(["lease", "ls", "--json"]);
    const leases = json<{ leases: { id: string; where: string; state: string }[] }>(ls.stdout as string).leases;
    expect(leases.map((l) => [l.id, l.where, l.state])).toEqual([
      ["here", "local", "active"],
      ["there", CLUSTER, "active"],
    ]);
  });

  test("rv wait --all counts tasks that finished already, and a task that can never start ends the wait", async () => {
    const wait = await laptopRv(["wait", "--all", "--timeout", "60s"]);
    expect(wait.exitCode).toBe(1);
    const huge = await laptopRv(["submit", "--lease", "there", "--cpus", "64", "--wait", "--", "true"]);
    expect(huge.exitCode).toBe(9);
    expect(huge.stderr).toMatch(/asks for 64 CPUs, but a runner of lease there has at most 4/);
  });
});
