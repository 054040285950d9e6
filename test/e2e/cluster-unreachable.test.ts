import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { RV_BIN, rv } from "../helpers/rv.ts";
import { tmuxTerminal } from "../helpers/tmux.ts";
import { waitFor } from "../helpers/wait.ts";

// A configured cluster that cannot be reached (nothing listens on port 1 of loopback): every cluster command
// says so with the fix, and nothing local is lost. No Slurm needed, only the ssh client.
const home = useRvHome();

function configureDeadCluster(root: string): void {
  mkdirSync(join(root, "ssh"), { recursive: true, mode: 0o700 });
  writeFileSync(
    join(root, "ssh", "config"),
    "Host rv-dead\n  HostName 127.0.0.1\n  Port 1\n  User nobody\n  BatchMode yes\n  StrictHostKeyChecking accept-new\n",
  );
  writeFileSync(
    join(root, "config.toml"),
    '[cluster]\nname = "dead"\nhost = "rv-dead"\nuser = "nobody"\nroot = "/scratch/nobody/.rv"\n',
  );
}

describe("a cluster that cannot be reached", () => {
  test("rv doctor fails the connection line with the fix, and exits 1", async () => {
    configureDeadCluster(home.root);
    const result = await rv(home.root, ["doctor"]);
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/ok\s+config\s+.*cluster dead/);
    expect(result.stdout).toMatch(/FAIL\s+connection\s+cannot reach rv-dead: .*refused/i);
    expect(result.stdout).toMatch(/fix: connect the VPN/);
  });

  test("rv status still shows the local leases, reports the cluster as not connected, and exits 0", async () => {
    configureDeadCluster(home.root);
    expect((await rv(home.root, ["lease", "up", "--local"])).exitCode).toBe(0);
    const result = await rv(home.root, ["status", "--json"]);
    expect(result.exitCode).toBe(0);
    const out = json<{ leases: { lease: string }[]; clusters: Record<string, unknown>[] }>(result.stdout as string);
    expect(out.leases.map((l) => l.lease)).toEqual(["local"]);
    expect(out.clusters).toEqual([
      expect.objectContaining({
        name: "dead",
        inUse: true,
        connected: false,
        error: expect.objectContaining({ code: "unreachable" }),
      }),
    ]);
    const local = await rv(home.root, ["status", "--local"]);
    expect(local.exitCode).toBe(0);
  });

  test("rv tasks, rv lease ls and rv logs show this machine's part and say the cluster's is missing", async () => {
    configureDeadCluster(home.root);
    const task = await rv(home.root, ["submit", "--wait", "--", "echo", "from here"]);
    expect(task.exitCode, task.stderr as string).toBe(0);
    const tasks = await rv(home.root, ["tasks", "--json"]);
    expect(tasks.exitCode).toBe(0);
    const listed = json<{ tasks: { place: string }[]; missing: { place: string; error: { code: string } }[] }>(
      tasks.stdout as string,
    );
    expect(listed.tasks.map((t) => t.place)).toEqual(["local"]);
    expect(listed.missing).toMatchObject([{ place: "dead", error: { code: "unreachable" } }]);
    const human = await rv(home.root, ["tasks"]);
    expect(human.exitCode).toBe(0);
    expect(human.stdout).toMatch(/local\s+-\s+succeeded/);
    expect(human.stderr).toMatch(/rv: tasks on cluster dead \(rv-dead\) are not shown: cannot reach rv-dead/);
    const leases = await rv(home.root, ["lease", "ls", "--json"]);
    expect(leases.exitCode).toBe(0);
    expect(json<{ missing: unknown[] }>(leases.stdout as string).missing).toHaveLength(1);
    const logs = await rv(home.root, ["logs", "1"]);
    expect(logs.exitCode, logs.stderr as string).toBe(0);
    expect(logs.stdout).toBe("from here\n");
    expect(logs.stderr).toMatch(/cluster dead \(rv-dead\) is out of reach .*looking on this machine only/);
  });

  test("rv resources and a submit to a lease only the cluster could have fail with exit 7", async () => {
    configureDeadCluster(home.root);
    const resources = await rv(home.root, ["resources"]);
    expect(resources.exitCode).toBe(7);
    expect(resources.stderr).toMatch(/rv: error: cannot reach rv-dead[\s\S]*hint: connect the VPN/);
    const submit = await rv(home.root, ["submit", "--lease", "gpu", "--", "true"]);
    expect(submit.exitCode).toBe(7);
  });

  test("rv tui says the cluster cannot be reached, and still shows this machine's lease and answers its keys", async () => {
    configureDeadCluster(home.root);
    expect((await rv(home.root, ["lease", "up", "--local"])).exitCode).toBe(0);
    expect((await rv(home.root, ["submit", "--lease", "local", "--name", "idle", "--", "sleep", "60"])).exitCode).toBe(
      0,
    );
    const term = tmuxTerminal("rv-tui-dead");
    try {
      term.start(`env RV_HOME=${home.root} NO_COLOR=1 TERM=xterm-256color ${RV_BIN} tui`);
      const screen = await term.until("the broken connection", (s) => /ssh rv-dead: cannot reach rv-dead/.test(s));
      expect(screen).toMatch(/idle\s+running/);
      term.keys("F");
      await term.until("the keys answered", (s) => s.includes("[all]"));
      term.keys("q");
      await waitFor(() => term.exitStatus() === "0", { what: "rv tui to quit" });
    } finally {
      term.kill();
    }
  });

  test("a bad [cluster] table is an error with its line, before anything is contacted", async () => {
    writeFileSync(
      join(home.root, "config.toml"),
      '[cluster]\nname = "Dead Cluster"\nhost = "x"\nuser = "u"\nroot = "/r"\n',
    );
    const result = await rv(home.root, ["doctor"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/config\.toml \(line 2\): cluster\.name/);
  });
});
