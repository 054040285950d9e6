import { existsSync, mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

interface TaskJson {
  id: string;
  lease: string;
  state: string;
  reason: string | null;
}

const leaseDir = (root: string, lease: string) => join(root, "leases", lease);
const leaseFile = (root: string, lease: string) => join(leaseDir(root, lease), "lease.json");
const quarantined = (root: string, lease: string) =>
  readdirSync(join(leaseDir(root, lease), "bad")).filter((name) => /^lease\.json\.\w+$/.test(name));

// A bad record is put aside and the rest goes on: other leases work, and nothing of the bad one is lost.
describe("a lease whose lease.json is corrupt (built binary)", () => {
  const home = useRvHome();

  it("leaves the other lease working for submit, tasks and lease ls (exit 0, a warning naming the file); lease up brings it back", async () => {
    const up = (name: string) => rv(home.root, ["lease", "up", "--local", "--name", name]);
    expect((await up("good")).exitCode).toBe(0);
    expect((await up("bad")).exitCode).toBe(0);
    const kept = String((await rv(home.root, ["submit", "--lease", "bad", "--wait", "--", "true"])).stdout).trim();
    const record = leaseFile(home.root, "bad");

    writeFileSync(record, "garbage\n");
    const submit = await rv(home.root, ["submit", "--", "echo", "hi"]);
    expect(submit.exitCode).toBe(0);
    const id = String(submit.stdout).trim();
    const [moved] = quarantined(home.root, "bad");
    const movedTo = join(leaseDir(home.root, "bad"), "bad", String(moved));
    expect(submit.stderr).toContain(`rv: warning: lease bad: its record could not be read (not JSON`);
    expect(submit.stderr).toContain(`was moved to ${movedTo}; its tasks stay where they are`);
    expect(submit.stderr).toContain(`hint: repair the record and put it back (mv ${movedTo} ${record})`);
    expect(existsSync(record)).toBe(false);

    writeFileSync(record, '{"v":1,"id":"bad","kind":"lo');
    const tasks = await rv(home.root, ["tasks", "--json"]);
    expect(tasks.exitCode).toBe(0);
    expect(tasks.stderr).toMatch(/rv: warning: lease bad: its record could not be read \(not JSON/);
    expect(json<{ tasks: TaskJson[] }>(String(tasks.stdout)).tasks.map((t) => [t.id, t.lease])).toEqual([[id, "good"]]);

    writeFileSync(record, JSON.stringify({ v: 1, id: "bad", kind: "cloud" }));
    const ls = await rv(home.root, ["lease", "ls"]);
    expect(ls.exitCode).toBe(0);
    expect(ls.stdout).toMatch(/^good\s+local\s+local\s+active\s/m);
    expect(ls.stdout).toMatch(/^bad\s+local\s+\?\s+bad record\s/m);
    expect(ls.stderr).toMatch(/rv: lease bad: its record could not be read \(schema: kind: .*\) and was moved to /);
    expect(ls.stderr).toMatch(/hint: .*or, for a local lease, give it a new record: rv lease up --local --name bad/);
    const lsJson = json<{ leases: { id: string }[]; unreadable: { lease: string; state: string; hint: string }[] }>(
      String((await rv(home.root, ["lease", "ls", "--json"])).stdout),
    );
    expect(lsJson.leases.map((l) => l.id)).toEqual(["good"]);
    expect(lsJson.unreadable).toMatchObject([{ lease: "bad", state: "moved-before", hint: expect.any(String) }]);
    expect(quarantined(home.root, "bad")).toHaveLength(3);

    // Named alone, the lease is an error that says how to get it back.
    const named = await rv(home.root, ["tasks", "--lease", "bad"]);
    expect(named.exitCode).toBe(4);
    expect(named.stderr).toMatch(/hint: repair the record and put it back/);

    // Its runner served on without a record; a new record gives the lease back, its tasks with it.
    const again = await up("bad");
    expect(again.exitCode).toBe(0);
    expect(again.stderr).toMatch(/lease bad: its record was put aside as bad .*: writing a new one/);
    expect(again.stderr).toMatch(/lease bad is already running/);
    const back = json<{ tasks: TaskJson[] }>(
      String((await rv(home.root, ["tasks", "--lease", "bad", "--json"])).stdout),
    );
    expect(back.tasks.map((t) => [t.id, t.state])).toEqual([[kept, "succeeded"]]);
  });

  it("on the cluster side (rv rpc), the op answers for the other lease and sends the warning as a note", async () => {
    const lease = (id: string) => ({
      v: 1,
      id,
      kind: "local",
      createdAt: "2025-01-01T00:00:00.000Z",
      host: "h",
      state: "released",
    });
    for (const id of ["good", "bad"]) mkdirSync(leaseDir(home.root, id), { recursive: true });
    writeFileSync(leaseFile(home.root, "good"), JSON.stringify(lease("good")));
    writeFileSync(leaseFile(home.root, "bad"), "garbage\n");
    const request = { v: 2, op: "lease-list", root: home.root, input: { summaries: false } };
    const call = await rv(home.root, ["rpc"], { stdin: "pipe", input: `${JSON.stringify(request)}\n` });
    const frames = String(call.stdout)
      .split("\n")
      .filter((line) => line.startsWith("@rv2 "))
      .map((line) => JSON.parse(line.slice(5)));
    expect(frames.find((f) => "note" in f)?.note).toMatch(
      /^warning: lease bad: its record could not be read \(not JSON/,
    );
    const result = frames.find((f) => "result" in f)?.result;
    expect(result.leases.map((l: { id: string }) => l.id)).toEqual(["good"]);
    expect(result.unreadable).toMatchObject([{ lease: "bad", state: "moved-now" }]);
  });
});

describe("a task whose done record is corrupt (built binary)", () => {
  const home = useRvHome();

  it("is unknown with the reason in rv tasks and rv show, and rv wait on it ends with a non-zero exit", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "exp"])).exitCode).toBe(0);
    const id = String((await rv(home.root, ["submit", "--wait", "--", "true"])).stdout).trim();
    const done = join(leaseDir(home.root, "exp"), "done", `${id}.json`);
    writeFileSync(done, '{"v":1,"task":{"id"');

    const tasks = json<{ tasks: TaskJson[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout)).tasks;
    expect(tasks).toMatchObject([{ id, lease: "exp", state: "unknown" }]);
    expect(tasks[0]?.reason).toMatch(new RegExp(`^its done record ${done} cannot be read \\(not JSON`));

    const show = await rv(home.root, ["show", id]);
    expect(show.exitCode).toBe(0);
    expect(show.stdout).toMatch(/state\s+unknown \(its done record .* cannot be read/);

    const wait = await rv(home.root, ["wait", id]);
    expect(wait.exitCode).toBe(1);
    expect(wait.stdout).toBe(`${id}\tunknown\n`);
    const all = await rv(home.root, ["wait", "--all", "--timeout", "20s"]);
    expect(all.exitCode).toBe(1);
    expect(existsSync(done)).toBe(true);
  });

  it("ends the tasks after it dep_failed, saying its record cannot be read, and rv wait on one ends non-zero", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "exp"])).exitCode).toBe(0);
    const first = String((await rv(home.root, ["submit", "--name", "prep", "--wait", "--", "true"])).stdout).trim();
    // A second dependency still running keeps the task blocked until the first's record is broken.
    const go = join(home.root, "go");
    const gate = ["submit", "--name", "gate", "--", "sh", "-c", `until [ -e ${go} ]; do sleep 0.1; done`];
    const running = String((await rv(home.root, gate)).stdout).trim();
    const then = String(
      (await rv(home.root, ["submit", "--after", `${first},${running}`, "--", "true"])).stdout,
    ).trim();
    writeFileSync(join(leaseDir(home.root, "exp"), "done", `${first}.json`), "garbage\n");

    const wait = await rv(home.root, ["wait", then, "--timeout", "20s"]);
    expect(wait.exitCode).toBe(1);
    expect(wait.stdout).toBe(`${then}\tdep_failed\n`);
    const tasks = json<{ tasks: TaskJson[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout)).tasks;
    expect(tasks.find((t) => t.id === then)).toMatchObject({
      state: "dep_failed",
      reason: `dependency ${first} ended, but its done record cannot be read`,
    });
    writeFileSync(go, "");
    expect((await rv(home.root, ["wait", running, "--timeout", "20s"])).exitCode).toBe(0);
  });
});

describe("rv lease rm (built binary)", () => {
  const home = useRvHome();

  it("refuses an active lease (exit 2) and one with a runner alive; removes a released one, --dry-run first", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "exp"])).exitCode).toBe(0);
    const dir = leaseDir(home.root, "exp");
    const active = await rv(home.root, ["lease", "rm", "exp"]);
    expect(active.exitCode).toBe(2);
    expect(active.stderr).toMatch(
      /lease exp is active: only a released lease can be removed\n {2}hint: rv lease release exp first/,
    );

    const sleeper = String((await rv(home.root, ["submit", "--", "sleep", "30"])).stdout).trim();
    const running = async () => json<{ tasks: TaskJson[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout));
    await waitFor(async () => (await running()).tasks.some((t) => t.id === sleeper && t.state === "running"), {
      what: `task ${sleeper} running`,
    });
    expect((await rv(home.root, ["lease", "release", "exp"])).exitCode).toBe(0);
    const draining = await rv(home.root, ["lease", "rm", "exp", "--json"]);
    expect(draining.exitCode).toBe(2);
    expect(json<{ error: { message: string } }>(String(draining.stdout)).error.message).toMatch(
      /^lease exp still has a runner alive: .* \(draining\)$/,
    );

    expect((await rv(home.root, ["lease", "release", "exp", "--now", "--wait"])).exitCode).toBe(0);
    const dry = await rv(home.root, ["lease", "rm", "exp", "--dry-run", "--json"]);
    expect(dry.exitCode).toBe(0);
    expect(json(String(dry.stdout))).toMatchObject({
      dryRun: true,
      leases: [{ id: "exp", where: "local", dir, tasks: { unfinished: 1, finished: 0, archived: 0 } }],
    });
    expect(existsSync(dir)).toBe(true);

    const removed = await rv(home.root, ["lease", "rm", "exp"]);
    expect(removed.exitCode).toBe(0);
    expect(removed.stdout).toMatch(new RegExp(`^exp\\tremoved ${dir}: 1 task \\(1 unfinished\\), \\d`));
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(join(home.root, "leases"))).toEqual([]);
    const gone = await rv(home.root, ["lease", "rm", "exp"]);
    expect(gone.exitCode).toBe(3);
  });
});
