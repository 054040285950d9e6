import { createHash, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { filesUnder } from "../helpers/home.ts";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// The secret travels from `rv env set`'s stdin to the task's environment and is written nowhere in clear.
describe("rv env: a secret reaches the task and nothing else (built binary, local lease)", () => {
  const home = useRvHome();
  const env = { RV_KEYRING: "off" };
  const secret = `tok-${randomBytes(12).toString("hex")}`;
  const hash = createHash("sha256").update(secret).digest("hex");

  it("set from stdin, seen by a task as $TOKEN, in no file under RV_HOME and no process's argv", async () => {
    const up = await rv(home.root, ["lease", "up", "--local", "--name", "one", "--cpus", "2"], { env });
    expect(up.exitCode, up.stderr as string).toBe(0);
    const set = await rv(home.root, ["env", "set", "TOKEN"], { env, stdin: "pipe", input: `${secret}\n` });
    expect(set.exitCode, set.stderr as string).toBe(0);
    const listed = await rv(home.root, ["env", "list", "--json"], { env });
    expect(listed.stdout).not.toContain(secret);
    expect(json<{ secrets: { name: string; scope: string }[] }>(listed.stdout as string).secrets).toMatchObject([
      { name: "TOKEN", scope: "global" },
    ]);

    // The task prints the secret's hash, then stays a while so that its process can be looked at.
    const script = 'printf %s "$TOKEN" | sha256sum; sleep 4';
    const submitted = await rv(home.root, ["submit", "--lease", "one", "--json", "--shell", script], { env });
    expect(submitted.exitCode, submitted.stderr as string).toBe(0);
    const id = json<{ tasks: { id: string }[] }>(submitted.stdout as string).tasks[0]?.id ?? "";
    const printed = await waitFor(
      async () => ((await rv(home.root, ["logs", id], { env })).stdout as string).split(" ")[0],
      { what: "the task's output" },
    );
    expect(printed).toBe(hash);
    const ps = await execa("ps", ["-eo", "args"]);
    expect(ps.stdout).not.toContain(secret);

    const waited = await rv(home.root, ["wait", id, "--timeout", "30s"], { env });
    expect(waited.exitCode, waited.stderr as string).toBe(0);
    const holding = filesUnder(home.root).filter((file) => readFileSync(file).includes(secret));
    expect(holding).toEqual([]);
    expect(filesUnder(join(home.root, "leases", "one")).filter((f) => f.includes("/secrets/"))).toEqual([]);
  });

  it("rv env rm: tasks submitted after it no longer get the secret", async () => {
    await rv(home.root, ["lease", "up", "--local", "--name", "one", "--cpus", "2"], { env });
    await rv(home.root, ["env", "set", "TOKEN"], { env, stdin: "pipe", input: secret });
    const removed = await rv(home.root, ["env", "rm", "TOKEN"], { env });
    expect(removed.exitCode, removed.stderr as string).toBe(0);
    const ran = await rv(home.root, ["submit", "--lease", "one", "--wait", "--shell", 'echo "[$TOKEN]"'], {
      env,
    });
    expect(ran.exitCode, ran.stderr as string).toBe(0);
    const id = (ran.stdout as string).trim().split("\n")[0] ?? "";
    expect((await rv(home.root, ["logs", id], { env })).stdout).toBe("[]\n");
    expect((await rv(home.root, ["env", "rm", "TOKEN"], { env })).exitCode).not.toBe(0);
  });
});
