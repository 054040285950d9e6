import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, devCluster, scancelByName } from "../helpers/cluster.ts";
import { filesUnder, makeHome } from "../helpers/home.ts";
import { json, releaseAll } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// The laptop workflow (issue 16), as the unprivileged labuser over the loopback sshd: a project
// pushed with what it ignores left out, a task that reads a pushed file and writes a result pulled back, watch,
// logs searched and copied, and a secret that reaches a task and nothing else.
const laptop = makeHome("rv-sync-laptop-");
const top = `/tmp/rv-sync-labuser-${process.pid}`;
const clusterRoot = `${top}/.rv`;
const project = join(laptop.root, "proj");
const here = (args: string[], cwd = project) => rv(laptop.root, args, { cwd });

beforeAll(async () => {
  assertBuilt();
  await execa("install", ["-d", "-o", "labuser", "-m", "700", top]);
  const init = await rv(laptop.root, [
    ...["init", "--yes", "--host", "127.0.0.1", "--port", String(devCluster.sshPort), "--user", "labuser"],
    ...["--identity-file", devCluster.identityFile, "--account", "research", "--root", clusterRoot, "--name", "lab"],
  ]);
  expect(init.exitCode, init.stderr as string).toBe(0);
  const up = await rv(laptop.root, [
    ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "2", "--segment", "15m", "--name", "ws"],
  ]);
  expect(up.exitCode, up.stderr as string).toBe(0);
  mkdirSync(join(project, "src"), { recursive: true });
  mkdirSync(join(project, "data", "big"), { recursive: true });
  mkdirSync(join(project, ".venv"), { recursive: true });
  writeFileSync(join(project, ".gitignore"), "data/big/\n");
  writeFileSync(join(project, ".rvignore"), "notes/\n");
  mkdirSync(join(project, "notes"));
  writeFileSync(join(project, "notes", "todo.md"), "private\n");
  writeFileSync(join(project, "data", "params.txt"), "lr=3e-4\n");
  writeFileSync(join(project, "data", "big", "shard-0.bin"), "x".repeat(1000));
  writeFileSync(join(project, ".venv", "python"), "not for the cluster\n");
  writeFileSync(join(project, "model.ckpt"), "weights\n");
  const script =
    'import os\nos.makedirs("../runs", exist_ok=True)\nopen("../runs/out.txt", "w").write("trained with " + open("../data/params.txt").read())\n';
  writeFileSync(join(project, "src", "train.py"), script);
  const git = (args: string[]) =>
    execa("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: project });
  await git(["init", "-q"]);
  await git(["add", "-A"]);
  await git(["commit", "-qm", "first"]);
}, 180_000);

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", "--all", "--now", "--wait"]);
  await scancelByName(["rv-ws-0", "rv-ws-1"]);
  await closeSshMaster(laptop.root, "rv-lab");
  await execa("rm", ["-rf", top]);
  laptop.cleanup();
}, 120_000);

describe("rv sync and rv submit --sync, as labuser", () => {
  test("a dry run lists what would go: .gitignore, .rvignore and heavy artefacts are left out", async () => {
    const dry = await here(["sync", "push", "--dry-run", "--json"]);
    expect(dry.exitCode, dry.stderr as string).toBe(0);
    const paths = json<{ changes: { path: string }[] }>(dry.stdout as string).changes.map((c) => c.path);
    expect(paths).toEqual(expect.arrayContaining(["src/train.py", "data/params.txt", ".gitignore"]));
    for (const left of ["data/big/shard-0.bin", "notes/todo.md", ".venv/python", "model.ckpt", ".git/HEAD"]) {
      expect(paths).not.toContain(left);
    }
  });

  test("a task submitted with --sync runs in the pushed workspace at the same relative place, and its output comes back", async () => {
    const run = await here(
      ["submit", "--lease", "ws", "--sync", "--wait", "--", "python3", "train.py"],
      join(project, "src"),
    );
    expect(run.exitCode, run.stderr as string).toBe(0);
    const workspace = `${clusterRoot}/workspaces/proj`;
    expect(statSync(join(workspace, "src", "train.py")).uid).toBe(
      Number((await execa("id", ["-u", "labuser"])).stdout),
    );
    type Detail = { view: { cwd: string }; code: { commit: string; dirty: boolean; workspace: string } };
    const shown = json<Detail>((await here(["show", "1", "--json"])).stdout as string);
    const head = (await execa("git", ["rev-parse", "HEAD"], { cwd: project })).stdout.trim();
    expect(shown.code).toEqual({ commit: head, dirty: false, workspace });
    expect(shown.view.cwd).toBe(`${workspace}/src`);

    const pulled = await here(["sync", "pull", "runs"]);
    expect(pulled.exitCode, pulled.stderr as string).toBe(0);
    expect(readFileSync(join(project, "runs", "out.txt"), "utf8")).toBe("trained with lr=3e-4\n");

    const status = json<{ remote: string; lastPush: { commit: string } | null }>(
      (await here(["sync", "status", "--json"])).stdout as string,
    );
    expect(status).toMatchObject({ remote: workspace, lastPush: { commit: head } });
  });

  test("rv pull brings a task's declared outputs back; rv logs --search finds lines on the cluster; --pull copies logs", async () => {
    const script = [
      "import os",
      'os.makedirs("runs/gen", exist_ok=True)',
      'open("runs/gen/a.txt", "w").write("kept")',
      'open("scratch.tmp", "w").write("not an output")',
      'print("step 1 loss=0.50")',
    ].join("\n");
    const run = await here([
      "submit",
      "--lease",
      "ws",
      "--sync",
      "--name",
      "gen",
      "--outputs",
      "runs/gen/**",
      "--wait",
      "--",
      "python3",
      "-c",
      script,
    ]);
    expect(run.exitCode, run.stderr as string).toBe(0);

    const pulled = await here(["pull", "gen"]);
    expect(pulled.exitCode, pulled.stderr as string).toBe(0);
    expect(readFileSync(join(project, "runs", "gen", "a.txt"), "utf8")).toBe("kept");
    expect(existsSync(join(project, "scratch.tmp"))).toBe(false);

    const found = await here(["logs", "--search", "loss=\\d", "--json"]);
    expect(found.exitCode, found.stderr as string).toBe(0);
    type Found = { matches: { name: string; stream: string; line: number; text: string }[] };
    expect(json<Found>(found.stdout as string).matches).toEqual([
      expect.objectContaining({ name: "gen", stream: "stdout", line: 1, text: "step 1 loss=0.50" }),
    ]);
    expect((await here(["logs", "--search", "no such line anywhere"])).exitCode).toBe(1);

    const logs = join(laptop.root, "gen-logs");
    const copied = await here(["logs", "--pull", "gen", "--to", logs]);
    expect(copied.exitCode, copied.stderr as string).toBe(0);
    expect(readFileSync(join(logs, "1.out"), "utf8")).toBe("step 1 loss=0.50\n");
  });

  test("rv sync watch pushes a change by itself, and Ctrl-C ends it", async () => {
    const watch = execa(RV_BIN, ["sync", "watch"], {
      cwd: project,
      env: { RV_HOME: laptop.root, NO_COLOR: "1" },
      reject: false,
    });
    let said = "";
    watch.stderr?.on("data", (chunk: Buffer) => {
      said += chunk.toString();
    });
    try {
      await waitFor(() => said.includes("Ctrl-C stops"), { what: "the first push and the watch", timeoutMs: 30_000 });
      writeFileSync(join(project, "src", "later.py"), "print('later')\n");
      const there = join(clusterRoot, "workspaces", "proj", "src", "later.py");
      // The push reported (not only its file there): Ctrl-C then ends the watch, not a push under way.
      await waitFor(() => existsSync(there) && /moved 1 file/.test(said), {
        what: "the change pushed",
        timeoutMs: 30_000,
      });
    } finally {
      watch.kill("SIGINT");
    }
    const ended = await watch;
    expect(ended.exitCode, `${ended.signal} ${said}`).toBe(0);
  });

  test("a secret set with rv env set reaches a cluster task, and is in no file rv wrote and no process's argv", async () => {
    const env = { RV_KEYRING: "off" };
    const secret = `tok-${randomBytes(12).toString("hex")}`;
    const set = await rv(laptop.root, ["env", "set", "TOKEN", "--cluster"], {
      env,
      stdin: "pipe",
      input: `${secret}\n`,
    });
    expect(set.exitCode, set.stderr as string).toBe(0);
    const script = 'printf %s "$TOKEN" | sha256sum; sleep 3';
    const submitted = await rv(laptop.root, ["submit", "--lease", "ws", "--json", "--shell", script], { env });
    expect(submitted.exitCode, submitted.stderr as string).toBe(0);
    const id = json<{ tasks: { id: string }[] }>(submitted.stdout as string).tasks[0]?.id ?? "";
    const printed = await waitFor(
      async () => ((await rv(laptop.root, ["logs", id], { env })).stdout as string).split(" ")[0],
      { what: "the task's output", timeoutMs: 30_000 },
    );
    expect(printed).toBe(createHash("sha256").update(secret).digest("hex"));
    // The task still runs: its runner, srun, ssh and the task itself are all processes of this host.
    expect((await execa("ps", ["-eo", "args"])).stdout).not.toContain(secret);
    expect((await rv(laptop.root, ["wait", id, "--timeout", "30s"], { env })).exitCode).toBe(0);
    const holding = [...filesUnder(laptop.root), ...filesUnder(top)].filter((f) => readFileSync(f).includes(secret));
    expect(holding).toEqual([]);
  });

  test("rv run --gpu 1 with no lease: a lease of its own, the output as it comes, the task's exit status, nothing left in squeue", async () => {
    const ran = await here([
      ...["run", "--gpu", "1", "--partition", "gpu-a6000", "--time", "20m", "--"],
      ...["sh", "-c", 'echo "gpus=$CUDA_VISIBLE_DEVICES"; exit 3'],
    ]);
    expect(ran.exitCode, ran.stderr as string).toBe(3);
    // As any rv run: the task's id, then its output; the lease says its part on stderr.
    expect(ran.stdout).toMatch(/^[0-9a-z]+\ngpus=\d+\n$/);
    expect(ran.stderr).toMatch(/lease (\S+) released/);
    const lease = /lease (\S+) released/.exec(ran.stderr as string)?.[1] ?? "?";
    const left = async () =>
      (await execa("squeue", ["-h", "-u", "labuser", "-o", "%j"])).stdout
        .split("\n")
        .filter((name) => name.startsWith(`rv-${lease}-`));
    await waitFor(async () => (await left()).length === 0, {
      what: `lease ${lease}'s jobs to leave squeue`,
      timeoutMs: 60_000,
    });
  }, 180_000);
});

describe("two clusters side by side: the dev cluster as labuser (lab) and as root (admin)", () => {
  const adminTop = `/tmp/rv-admin-${process.pid}`;
  const adminRoot = `${adminTop}/.rv`;
  afterAll(async () => {
    await releaseAll(adminRoot);
    await closeSshMaster(laptop.root, "rv-admin");
    await execa("rm", ["-rf", adminTop]);
  }, 60_000);

  test("rv init --name adds the second; each lease is used on its own cluster; rv status shows both", async () => {
    const init = await rv(laptop.root, [
      ...["init", "--yes", "--host", "127.0.0.1", "--port", String(devCluster.sshPort), "--user", "root"],
      ...["--identity-file", devCluster.identityFile, "--account", devCluster.account, "--root", adminRoot],
      ...["--name", "admin"],
    ]);
    expect(init.exitCode, init.stderr as string).toBe(0);
    expect(init.stderr).toMatch(/in use from now on \(rv cluster use lab goes back\)/);
    const listed = json<{ inUse: string; clusters: { name: string; user: string }[] }>(
      (await rv(laptop.root, ["cluster", "ls", "--json"])).stdout as string,
    );
    expect(listed.inUse).toBe("admin");
    expect(listed.clusters.map((c) => [c.name, c.user])).toEqual([
      ["admin", "root"],
      ["lab", "labuser"],
    ]);
    // A lease on the admin cluster's root, started there directly (the login node is this machine).
    const up = await rv(adminRoot, ["lease", "up", "--local", "--name", "adm", "--cpus", "1"]);
    expect(up.exitCode, up.stderr as string).toBe(0);

    // With admin in use, lab's lease is still found by its name alone: it remembers its cluster.
    const onLab = await here(["run", "--lease", "ws", "--", "id", "-un"]);
    expect(onLab.exitCode, onLab.stderr as string).toBe(0);
    expect(onLab.stdout).toMatch(/\nlabuser\n$/);
    const onAdmin = await here(["run", "--lease", "adm", "--", "id", "-un"]);
    expect(onAdmin.exitCode, onAdmin.stderr as string).toBe(0);
    expect(onAdmin.stdout).toMatch(/\nroot\n$/);

    const status = json<{
      clusters: { name: string; connected: boolean; user: string; leases: { lease: string }[] }[];
    }>((await here(["status", "--json"])).stdout as string);
    expect(status.clusters.map((c) => [c.name, c.connected, c.user])).toEqual([
      ["admin", true, "root"],
      ["lab", true, "labuser"],
    ]);
    expect(status.clusters[0]?.leases.map((l) => l.lease)).toContain("adm");
    expect(status.clusters[1]?.leases.map((l) => l.lease)).toContain("ws");

    // Listings go to the cluster in use, or the one --cluster names.
    const tasksOf = async (args: string[]) =>
      json<{ tasks: { lease: string }[] }>(
        (await here(["tasks", "--all", "--json", ...args])).stdout as string,
      ).tasks.map((t) => t.lease);
    expect(new Set(await tasksOf([]))).toEqual(new Set(["adm"]));
    expect(await tasksOf(["--cluster", "lab"])).toContain("ws");
    expect((await rv(laptop.root, ["cluster", "use", "lab"])).exitCode).toBe(0);
    expect(await tasksOf([])).not.toContain("adm");
  }, 180_000);
});
