import { beforeEach, describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

interface TaskJson {
  id: string;
  name: string | null;
  state: string;
  attempt: number;
  exitCode: number | null;
}

describe("tasks, logs, cancel, requeue, wait (built binary)", () => {
  const home = useRvHome();
  const tasks = async (...args: string[]) =>
    json<{ tasks: TaskJson[]; total: number }>(String((await rv(home.root, ["tasks", "--json", ...args])).stdout));
  const submit = async (...args: string[]) => String((await rv(home.root, ["submit", ...args])).stdout).trim();

  beforeEach(async () => {
    expect((await rv(home.root, ["lease", "up", "--local", "--cpus", "1"])).exitCode).toBe(0);
  });

  it("names tasks by full id, unique suffix or number, and says when a name is unknown", async () => {
    const first = await submit("--name", "first", "--wait", "--", "echo", "one");
    const second = await submit("--name", "second", "--wait", "--", "echo", "two");
    expect(String((await rv(home.root, ["logs", "1"])).stdout)).toBe("two\n");
    expect(String((await rv(home.root, ["logs", "2"])).stdout)).toBe("one\n");
    expect(String((await rv(home.root, ["logs", first])).stdout)).toBe("one\n");
    expect(String((await rv(home.root, ["logs", second.slice(-5)])).stdout)).toBe("two\n");
    const unknown = await rv(home.root, ["logs", "zzzzzzzz"]);
    expect(unknown.exitCode).toBe(3);
    expect(unknown.stderr).toMatch(/no task matches "zzzzzzzz"/);
    const tooFar = await rv(home.root, ["logs", "9"]);
    expect(tooFar.stderr).toMatch(/no task number 9: only 2 tasks exist/);
  });

  it("filters by state and name, limits with -n, and prints a table without headers in a pipe", async () => {
    await submit("--name", "ok-1", "--wait", "--", "true");
    await submit("--name", "bad-1", "--wait", "--", "false");
    await submit("--name", "ok-2", "--wait", "--", "true");
    expect((await tasks("--state", "failed")).tasks.map((t) => t.name)).toEqual(["bad-1"]);
    expect((await tasks("--name", "^ok")).tasks.map((t) => t.name)).toEqual(["ok-1", "ok-2"]);
    expect((await tasks("-n", "1")).tasks.map((t) => t.name)).toEqual(["ok-2"]);
    const text = String((await rv(home.root, ["ps", "--state", "done"])).stdout)
      .trim()
      .split("\n");
    expect(text).toHaveLength(3);
    expect(text[1]).toMatch(/bad-1\s+failed\s+1\s+0\s+\S+\s+exit 1\s+false/);
    const badState = await rv(home.root, ["tasks", "--state", "sleeping"]);
    expect(badState.exitCode).toBe(2);
    expect(badState.stderr).toMatch(/states: pending, blocked, running/);
  });

  it("logs -n and --stderr pick lines and stream", async () => {
    const id = await submit("--wait", "--shell", "for i in 1 2 3 4; do echo line$i; done; echo oops >&2");
    expect(String((await rv(home.root, ["logs", id, "-n", "2"])).stdout)).toBe("line3\nline4\n");
    expect(String((await rv(home.root, ["logs", id, "--stderr"])).stdout)).toBe("oops\n");
  });

  it("cancels a pending task before it starts and a running one, and --dry-run changes nothing", async () => {
    const running = await submit("--", "sleep", "60");
    const pending = await submit("--", "sleep", "60");
    await waitFor(async () => (await tasks()).tasks.find((t) => t.id === running)?.state === "running");
    const dry = json<{ tasks: { outcome: string }[] }>(
      String((await rv(home.root, ["cancel", "--all", "--dry-run", "--json"])).stdout),
    );
    expect(dry.tasks.map((t) => t.outcome)).toEqual(["would-cancel", "would-cancel"]);
    expect((await tasks("--state", "active")).tasks).toHaveLength(2);
    const cancel = await rv(home.root, ["cancel", pending, running]);
    expect(cancel.exitCode).toBe(0);
    const after = await tasks();
    expect(after.tasks.map((t) => t.state)).toEqual(["cancelled", "cancelled"]);
    expect(String((await rv(home.root, ["logs", pending])).stderr)).toMatch(/never started, so it has no stdout/);
  });

  it("requeues a failed task as attempt 2, and wait exits with the task's status", async () => {
    const id = await submit("--shell", 'test "$RV_ATTEMPT" = 2');
    const firstWait = await rv(home.root, ["wait", id]);
    expect(firstWait.exitCode).toBe(1);
    expect((await tasks()).tasks[0]).toMatchObject({ state: "failed", attempt: 1 });
    const requeue = await rv(home.root, ["requeue", id, "--json"]);
    expect(json<{ tasks: { outcome: string }[] }>(String(requeue.stdout)).tasks[0]?.outcome).toBe("requeued");
    const secondWait = await rv(home.root, ["wait", id, "--timeout", "20s"]);
    expect(secondWait.exitCode).toBe(0);
    expect((await tasks()).tasks[0]).toMatchObject({ state: "succeeded", attempt: 2 });
  });

  it("wait --timeout gives up with its own exit code", async () => {
    await submit("--", "sleep", "30");
    const wait = await rv(home.root, ["wait", "--all", "--timeout", "300ms"]);
    expect(wait.exitCode).toBe(6);
    expect(wait.stderr).toMatch(/still not finished after 300ms/);
  });
});
