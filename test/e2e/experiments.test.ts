import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

type Listed = { tasks: { id: string; state: string; startedAt: string | null; endedAt: string | null }[] };

// --after, names, notes, rerun and clean on a lease of this machine (verbs.cluster.test.ts runs the prep-* chain
// and the others on both places).
describe("dependencies, names, notes, reruns and clean (built binary)", () => {
  const home = useRvHome();
  const submit = async (args: string[]) => {
    const result = await rv(home.root, ["submit", "--lease", "one", "--json", ...args]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    return json<{ tasks: { id: string }[] }>(result.stdout as string).tasks[0]?.id ?? "";
  };

  it("a blocked task holds no GPU: a task behind it runs on the lease's only GPU meanwhile", async () => {
    const up = await rv(home.root, ["lease", "up", "--local", "--name", "one", "--gpu-ids", "0", "--cpus", "4"]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const first = await submit(["--name", "first", "--", "sleep", "3"]);
    const blocked = await submit(["--gpus", "1", "--after", "first", "--", "true"]);
    const passer = await submit(["--gpus", "1", "--", "true"]);
    const waited = await rv(home.root, ["wait", first, blocked, passer, "--json", "--timeout", "60s"]);
    expect(waited.exitCode, waited.stderr as string).toBe(0);
    const byId = new Map(json<Listed>(waited.stdout as string).tasks.map((t) => [t.id, t]));
    const at = (id: string, field: "startedAt" | "endedAt") => Date.parse(byId.get(id)?.[field] ?? "");
    expect(at(passer, "endedAt")).toBeLessThan(at(first, "endedAt"));
    expect(at(blocked, "startedAt")).toBeGreaterThanOrEqual(at(first, "endedAt"));
  });

  it("a name works as a reference; a name two tasks share lists both ids", async () => {
    await rv(home.root, ["lease", "up", "--local", "--name", "one", "--cpus", "2"]);
    const a = await submit(["--name", "twin", "--", "echo", "a"]);
    const b = await submit(["--name", "twin", "--", "echo", "b"]);
    const solo = await submit(["--name", "lr=1e-3,seed=1", "--", "echo", "solo"]);
    expect((await rv(home.root, ["wait", "lr=1e-3,seed=1", "--timeout", "30s"])).exitCode).toBe(0);
    expect((await rv(home.root, ["logs", "lr=1e-3,seed=1"])).stdout).toBe("solo\n");
    const shown = json<{ view: { id: string } }>(
      (await rv(home.root, ["show", "lr=1e-3,seed=1", "--json"])).stdout as string,
    );
    expect(shown.view.id).toBe(solo);
    const twins = await rv(home.root, ["logs", "twin"]);
    expect(twins.exitCode).not.toBe(0);
    expect(twins.stderr).toContain('2 tasks are named "twin"');
    expect(twins.stderr).toContain(`${a}, ${b}`);
  });

  it("rv note edits a task's note in any state; rv rerun makes a new task with changes; rv clean archives", async () => {
    await rv(home.root, ["lease", "up", "--local", "--name", "one", "--cpus", "2"]);
    const base = await submit([
      "--name",
      "base",
      "--note",
      "first try",
      "--tag",
      "exp",
      "--env",
      "A=1",
      "--",
      "sh",
      "-c",
      'echo "A=$A"',
    ]);
    expect((await rv(home.root, ["wait", "base", "--timeout", "30s"])).exitCode).toBe(0);
    expect((await rv(home.root, ["note", "base"])).stdout).toBe("first try\n");
    expect((await rv(home.root, ["note", "base", "lr too high"])).exitCode).toBe(0);
    const shown = json<{ view: { note: string } }>((await rv(home.root, ["show", base, "--json"])).stdout as string);
    expect(shown.view.note).toBe("lr too high");

    const rerun = await rv(home.root, ["rerun", "base", "--env", "A=2", "--json"]);
    expect(rerun.exitCode, rerun.stderr as string).toBe(0);
    const made = json<{ task: { id: string; name: string; from: string } }>(rerun.stdout as string).task;
    expect(made).toMatchObject({ name: "base-rerun", from: base });
    const changed = await rv(home.root, ["rerun", "base", "--", "sh", "-c", "echo changed"]);
    expect(changed.exitCode, changed.stderr as string).toBe(0);
    expect((await rv(home.root, ["wait", "base-rerun", "base-rerun2", "--timeout", "30s"])).exitCode).toBe(0);
    expect((await rv(home.root, ["logs", "base-rerun"])).stdout).toBe("A=2\n");
    expect((await rv(home.root, ["logs", "base-rerun2"])).stdout).toBe("changed\n");
    const detail = json<{ rerunOf: string; view: { tags: string[] } }>(
      (await rv(home.root, ["show", "base-rerun", "--json"])).stdout as string,
    );
    expect(detail).toMatchObject({ rerunOf: base, view: { tags: ["exp"] } });

    // rv clean --tag: the three finished tasks leave the list, with their logs, and are listed with --archived.
    const dry = json<{ cleaned: unknown[] }>(
      (await rv(home.root, ["clean", "--tag", "exp", "--dry-run", "--json"])).stdout as string,
    );
    expect(dry.cleaned).toHaveLength(3);
    expect((await rv(home.root, ["tasks", "--json", "-n", "0"])).stdout).toContain(base);
    expect((await rv(home.root, ["clean", "--tag", "exp"])).exitCode).toBe(0);
    type Listed2 = { tasks: { id: string; name: string; note: string | null }[] };
    expect(json<Listed2>((await rv(home.root, ["tasks", "--json", "-n", "0"])).stdout as string).tasks).toEqual([]);
    const archived = json<Listed2>((await rv(home.root, ["tasks", "--archived", "--json"])).stdout as string).tasks;
    expect(archived.map((t) => t.name)).toEqual(["base", "base-rerun", "base-rerun2"]);
    expect(archived[0]?.note).toBe("lr too high");
    const lease = join(home.root, "leases", "one");
    expect(existsSync(join(lease, "logs", base))).toBe(false);
    expect(existsSync(join(lease, "archive", "logs", base, "1.out"))).toBe(true);

    // --delete: for good, archived ones included, and only when told which or --all.
    expect((await rv(home.root, ["clean", "--delete"])).exitCode).toBe(2);
    expect((await rv(home.root, ["clean", "--delete", "--all"])).exitCode).toBe(0);
    expect(json<Listed2>((await rv(home.root, ["tasks", "--archived", "--json"])).stdout as string).tasks).toEqual([]);
    expect(existsSync(join(lease, "archive", "logs", base))).toBe(false);
  });

  it("rv logs --tag prints the last lines of every task with the tag, each under a header", async () => {
    await rv(home.root, ["lease", "up", "--local", "--name", "one", "--cpus", "2"]);
    const a = await submit(["--name", "la", "--tag", "logs-t", "--", "sh", "-c", "echo a1; echo a2"]);
    const b = await submit(["--name", "lb", "--tag", "logs-t", "--", "sh", "-c", "echo b1"]);
    await submit(["--name", "other", "--", "echo", "not this one"]);
    expect((await rv(home.root, ["wait", "--tag", "logs-t", "--timeout", "30s"])).exitCode).toBe(0);
    const printed = await rv(home.root, ["logs", "--tag", "logs-t", "-n", "1"]);
    expect(printed.exitCode, printed.stderr as string).toBe(0);
    expect(printed.stdout).toBe(
      `==> la (${a}), succeeded, attempt 1 <==\na2\n\n==> lb (${b}), succeeded, attempt 1 <==\nb1\n`,
    );
    expect(printed.stderr).toBe("");
    // A task of the tag failed with its reason on stderr: one line after the blocks says where to look.
    await submit(["--name", "lc", "--tag", "logs-t", "--", "sh", "-c", "echo c1; echo boom >&2; exit 1"]);
    expect((await rv(home.root, ["wait", "--tag", "logs-t", "--timeout", "30s"])).exitCode).toBe(1);
    const failed = await rv(home.root, ["logs", "--tag", "logs-t", "-n", "1"]);
    expect(failed.stdout).toContain("==> lc (");
    expect(failed.stderr).toBe(
      "rv: 1 task failed or wrote nothing to stdout, and stderr has more (lc): rv logs --tag logs-t -n 1 --stderr\n",
    );
    const following = await rv(home.root, ["logs", "--tag", "logs-t", "-f"]);
    expect(following.exitCode).toBe(2);
    expect(following.stderr).toContain("-f follows one task");
  });
});
