import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

// Sharp edges found trying rv as a user would: each answers clearly and loses nothing.
describe("flag errors with --json", () => {
  const home = useRvHome();

  it.each([
    [["tasks", "--frob", "--json"], /unknown option '--frob'/],
    [["nosuch", "--json"], /unknown command 'nosuch'/],
    [["logs", "--json"], /name the task whose output to print, or --tag T/],
    [["lease", "show", "a", "b", "--json"], /too many arguments/],
  ])("rv %j answers one JSON document with the error, exit 2", async (args, message) => {
    const result = await rv(home.root, args);
    expect(result.exitCode).toBe(2);
    const doc = json<{ v: number; error: { code: string; message: string; hint: string } }>(result.stdout as string);
    expect(doc.v).toBe(1);
    expect(doc.error.code).toBe("usage");
    expect(doc.error.message).toMatch(message);
    expect(result.stderr).toBe("");
  });

  it("a task's own --json after -- is the task's, not rv's", async () => {
    const result = await rv(home.root, ["submit", "--bogus", "--", "echo", "--json"]);
    expect(result.exitCode).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/unknown option '--bogus'/);
  });
});

describe("rv lease up keeps local and cluster flags apart", () => {
  const home = useRvHome();

  it.each([
    [["--local", "--gpu", "2"], /--gpu: only for a lease on a cluster/],
    [["--local", "--time", "3h"], /--time: only for a lease on a cluster/],
    [["--gpu-ids", "0", "--segment", "oops"], /--segment: only for a lease on a cluster/],
    [["--gpu", "4", "--dry-run"], /--gpu, --dry-run: no cluster is configured to ask/],
  ])("rv lease up %j refuses, and starts no runner", async (args, message) => {
    const result = await rv(home.root, ["lease", "up", ...args]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(existsSync(join(home.root, "leases"))).toBe(false);
  });
});

describe("rv submit --from with task flags", () => {
  const home = useRvHome();

  it("applies them to every line as defaults; a line's own fields win, tags and env add up", async () => {
    const file = join(home.root, "sweep.jsonl");
    writeFileSync(
      file,
      [
        JSON.stringify({ shell: 'echo "$A$B"', name: "a" }),
        JSON.stringify({ shell: 'echo "$A$B"', name: "b", cpus: 2, tags: ["own"], env: { B: "2" } }),
      ].join("\n"),
    );
    const submit = await rv(home.root, [
      ...["submit", "--from", file, "--cpus", "1", "--tag", "sweep", "--env", "A=1", "--note", "from flags"],
      "--wait",
    ]);
    expect(submit.exitCode, submit.stderr as string).toBe(0);
    const listed = json<{ tasks: { name: string; cpus: number; tags: string[]; note: string }[] }>(
      (await rv(home.root, ["tasks", "--json"])).stdout as string,
    );
    expect(listed.tasks).toEqual([
      expect.objectContaining({ name: "a", cpus: 1, tags: ["sweep"], note: "from flags" }),
      expect.objectContaining({ name: "b", cpus: 2, tags: ["sweep", "own"], note: "from flags" }),
    ]);
    expect((await rv(home.root, ["logs", "2"])).stdout).toBe("1\n");
    expect((await rv(home.root, ["logs", "1"])).stdout).toBe("12\n");
  });

  it("refuses --name, which names one task", async () => {
    const file = join(home.root, "one.jsonl");
    writeFileSync(file, JSON.stringify({ argv: ["true"] }));
    const result = await rv(home.root, ["submit", "--from", file, "--name", "x"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/--name names one task: with --from, give each line its own "name"/);
  });
});

describe("rv wait", () => {
  const home = useRvHome();

  it("--all counts tasks that already finished", async () => {
    expect((await rv(home.root, ["submit", "--", "false"])).exitCode).toBe(0);
    expect((await rv(home.root, ["submit", "--", "sleep", "1"])).exitCode).toBe(0);
    const wait = await rv(home.root, ["wait", "--all"]);
    expect(wait.exitCode).toBe(1);
    expect(wait.stdout).toMatch(/\tfailed\n.*\tsucceeded\n$/);
  });

  it("ends with exit 9 for a task that asks for more GPUs than the lease holds, and says why", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "one", "--gpu-ids", "g0"])).exitCode).toBe(0);
    const id = String((await rv(home.root, ["submit", "--lease", "one", "--gpus", "2", "--", "true"])).stdout).trim();
    const wait = await rv(home.root, ["wait", id, "--json"]);
    expect(wait.exitCode).toBe(9);
    const doc = json<{ cannotStart: { id: string; why: string }[]; error: { code: string } }>(wait.stdout as string);
    expect(doc.error.code).toBe("cannot_run");
    expect(doc.cannotStart).toEqual([
      { id, why: `task ${id} asks for 2 GPUs, but a runner of lease one has at most 1` },
    ]);
  });

  it("ends with exit 9 for a task left pending in a released lease", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "gone", "--cpus", "1"])).exitCode).toBe(0);
    const busy = await rv(home.root, ["submit", "--lease", "gone", "--", "sleep", "2"]);
    const queued = String((await rv(home.root, ["submit", "--lease", "gone", "--", "true"])).stdout).trim();
    expect(busy.exitCode).toBe(0);
    expect((await rv(home.root, ["lease", "release", "gone", "--wait"])).exitCode).toBe(0);
    const wait = await rv(home.root, ["wait", queued]);
    expect(wait.exitCode).toBe(9);
    expect(wait.stderr).toMatch(/lease gone was released: nothing will start task/);
  });
});

describe("the binary reads nothing of the directory it is run in", () => {
  const home = useRvHome();

  // A Bun binary by default loads a .env from its working directory into its own environment and runs a
  // bunfig.toml's preload scripts: run in a clone or a shared scratch space, that would set rv's variables or run
  // someone else's code inside rv. rv reads a project's .env itself, for its tasks only.
  it("neither runs a bunfig.toml's preload nor takes a .env's variables (RV_DEBUG would print a stack)", async () => {
    const dir = join(home.root, "untrusted");
    const marker = join(dir, "preload-ran");
    mkdirSync(dir);
    writeFileSync(join(dir, "bunfig.toml"), 'preload = ["./preload.ts"]\n');
    writeFileSync(join(dir, "preload.ts"), `require("node:fs").writeFileSync(${JSON.stringify(marker)}, "ran");\n`);
    writeFileSync(join(dir, ".env"), "RV_DEBUG=1\n");
    const version = await rv(home.root, ["--version"], { cwd: dir });
    expect(version.exitCode).toBe(0);
    const missing = await rv(home.root, ["show", "nosuchtask"], { cwd: dir });
    expect(missing.exitCode).toBe(3);
    expect(missing.stderr).toBe('rv: error: no task matches "nosuchtask"\n  hint: list tasks with: rv tasks\n');
    expect(existsSync(marker)).toBe(false);
  });
});

describe("rv show, rv tasks", () => {
  const home = useRvHome();

  it("say how a task ended once: its exit code, its signal, or its reason", async () => {
    const submitted = async (...argv: string[]) =>
      String((await rv(home.root, ["submit", "--", ...argv])).stdout).trim();
    const ended = {
      succeeded: await submitted("true"),
      exit3: await submitted("sh", "-c", "exit 3"),
      killed: await submitted("sh", "-c", "kill -9 $$"),
      missing: await submitted("no-such-program-here"),
    };
    expect((await rv(home.root, ["wait", "--all"])).exitCode).toBe(1);
    const stateOf = async (id: string) =>
      /^ {2}state +(.*)$/m.exec(String((await rv(home.root, ["show", id])).stdout))?.[1];
    expect(await stateOf(ended.succeeded)).toBe("succeeded, attempt 1");
    expect(await stateOf(ended.exit3)).toBe("failed (exit 3), attempt 1");
    expect(await stateOf(ended.killed)).toBe("failed (SIGKILL), attempt 1");
    expect(await stateOf(ended.missing)).toMatch(/^failed \(exit 127: .*no-such-program-here.*\), attempt 1$/);
    const listed = String((await rv(home.root, ["tasks"])).stdout);
    expect(listed).toMatch(new RegExp(`${ended.killed} .* failed .* SIGKILL  `));
    expect(listed).toMatch(new RegExp(`${ended.exit3} .* failed .* exit 3  `));
  });
});
