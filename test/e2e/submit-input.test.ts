import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leasePaths } from "../../src/fsqueue/index.ts";
import { makeTask, openLease, publish } from "../fsqueue/factory.ts";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

// What a submit is given is checked before anything is published; what cannot start ends as a shell would end it.
const inbox = (root: string, lease = "local") => {
  const dir = leasePaths(root, lease).inbox;
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith(".json")) : [];
};

describe("a --cwd that does not exist", () => {
  const home = useRvHome();

  it.each([
    ["submit", ["submit", "--cwd", "/no/such/dir", "--", "true"]],
    ["run", ["run", "--cwd", "/no/such/dir", "--", "true"]],
    ["sweep", ["sweep", "--cwd", "/no/such/dir", "--", "echo", "{1,2}"]],
  ])("rv %s is refused with exit 3 and a hint, and publishes nothing", async (_verb, args) => {
    const result = await rv(home.root, args);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("rv: error: working directory /no/such/dir does not exist: nothing was submitted");
    expect(result.stderr).toContain("hint: create it, or give --cwd a directory that exists");
    expect(inbox(home.root)).toEqual([]);
    expect(json<{ total: number }>(String((await rv(home.root, ["tasks", "--json"])).stdout)).total).toBe(0);
  });

  it("--from: one line with a missing cwd publishes none of the lines, and --json says why", async () => {
    const file = join(home.root, "tasks.jsonl");
    writeFileSync(file, `${JSON.stringify({ argv: ["true"] })}\n${JSON.stringify({ argv: ["true"], cwd: "/nope" })}\n`);
    const result = await rv(home.root, ["submit", "--from", file, "--json"]);
    expect(result.exitCode).toBe(3);
    const doc = json<{ error: { code: string; message: string } }>(String(result.stdout));
    expect(doc.error).toMatchObject({ code: "not_found", message: expect.stringMatching(/working directory \/nope/) });
    expect(inbox(home.root)).toEqual([]);
  });
});

describe("a command that cannot start", () => {
  const home = useRvHome();

  it("rv run -- /nonexistent exits 127 and says so on stderr, as bash would; the done record says why", async () => {
    const result = await rv(home.root, ["run", "--", "/nonexistent"]);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toContain("rv: /nonexistent: command not found\n");
    const id = String(result.stdout).trim();
    const { tasks } = json<{ tasks: { id: string; exitCode: number; reason: string }[] }>(
      String((await rv(home.root, ["tasks", "--json"])).stdout),
    );
    expect(tasks).toEqual([expect.objectContaining({ id, exitCode: 127, reason: "/nonexistent: command not found" })]);
    expect((await rv(home.root, ["tasks"])).stdout).toContain("exit 127: /nonexistent: command not found");
  });

  it("rv submit --wait on a command not on PATH exits 127 and tells why", async () => {
    const result = await rv(home.root, ["submit", "--wait", "--", "rv-no-such-command"]);
    expect(result.exitCode).toBe(127);
    expect(result.stderr).toMatch(/rv: \w+ failed: rv-no-such-command: command not found\n/);
  });

  it("a file that is there but not executable exits 126", async () => {
    const script = join(home.root, "not-executable.sh");
    writeFileSync(script, "#!/bin/sh\necho hi\n", { mode: 0o644 });
    const result = await rv(home.root, ["run", "--", script]);
    expect(result.exitCode).toBe(126);
    expect(result.stderr).toContain(`rv: ${script}: permission denied\n`);
    const followed = await rv(home.root, ["submit", "--follow", "--", script]);
    expect(followed.exitCode).toBe(126);
  });
});

describe("names", () => {
  const home = useRvHome();

  it.each([
    [["submit", "--name", "a\nb", "--", "true"], '--name: "a\\nb" has a newline (\\n) in it'],
    [["run", "--tag", "x\ty", "--", "true"], '--tag: "x\\ty" has a tab (\\t) in it'],
    [["sweep", "--name", "p\u001b{i}", "--", "echo", "{1,2}"], "has an escape (\\e) in it"],
    [["sweep", "--sweep", "my sweep", "--", "echo", "{1,2}"], '--sweep "my sweep" has a space in it'],
    [["lease", "up", "--local", "--name", "a\nb"], 'invalid lease name "a\\nb" has a newline (\\n) in it'],
  ])("rv %j is refused with exit 2, naming the character, and publishes nothing", async (args, message) => {
    const result = await rv(home.root, args);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
    expect(inbox(home.root)).toEqual([]);
  });

  it("a 200-character name is cut in rv tasks, and whole in rv tasks --json", async () => {
    const name = "n".repeat(200);
    expect((await rv(home.root, ["submit", "--wait", "--name", name, "--", "true"])).exitCode).toBe(0);
    const table = String((await rv(home.root, ["tasks"])).stdout);
    expect(table).toContain(`${"n".repeat(39)}… `);
    expect(table).not.toContain("n".repeat(40));
    const listed = json<{ tasks: { name: string }[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout));
    expect(listed.tasks.map((t) => t.name)).toEqual([name]);
  });

  it("a task an older rv took with a newline in its name still reads: escaped in the table, whole in --json", async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--name", "old"])).exitCode).toBe(0);
    expect((await rv(home.root, ["lease", "release", "old", "--wait"])).exitCode).toBe(0);
    publish(
      openLease(home.root, "old"),
      makeTask({ lease: "old", name: "two\nlines", command: { kind: "argv", argv: ["true"] } }),
    );
    const table = await rv(home.root, ["tasks", "--lease", "old"]);
    expect(table.exitCode).toBe(0);
    expect(String(table.stdout).split("\n").filter(Boolean)).toEqual([expect.stringContaining("two\\nlines")]);
    const listed = json<{ tasks: { name: string }[] }>(
      String((await rv(home.root, ["tasks", "--lease", "old", "--json"])).stdout),
    );
    expect(listed.tasks.map((t) => t.name)).toEqual(["two\nlines"]);
  });
});
