import { existsSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

type Waited = {
  tasks: { id: string; state: string; attempt: number; reason: string | null; exitCode: number | null }[];
};

// --retry and --timeout on a lease of this machine (verbs.cluster.test.ts runs a retried sweep on both places).
describe("retries and time limits (built binary)", () => {
  const home = useRvHome();
  const submitWait = async (args: string[]) => {
    const result = await rv(home.root, ["submit", "--wait", "--json", ...args]);
    return { exitCode: result.exitCode, task: json<Waited>(result.stdout as string).tasks[0] };
  };

  it("--retry 1: a failed attempt runs again after its delay, with its own logs, and succeeds", async () => {
    const started = Date.now();
    const { exitCode, task } = await submitWait([
      ...["--retry", "1", "--retry-delay", "1s", "--"],
      ...["sh", "-c", 'echo "attempt $RV_ATTEMPT"; test "$RV_ATTEMPT" -gt 1'],
    ]);
    expect(exitCode).toBe(0);
    expect(task).toMatchObject({ state: "succeeded", attempt: 2 });
    expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    const logs = join(home.root, "leases", "local", "logs", task?.id ?? "?");
    expect(existsSync(join(logs, "1.out")) && existsSync(join(logs, "2.out"))).toBe(true);
    expect((await rv(home.root, ["logs", task?.id ?? "?"])).stdout).toBe("attempt 2\n");
    // rv tasks: attempt 2 of the 2 its --retry 1 allows.
    const row = String((await rv(home.root, ["tasks"])).stdout)
      .split("\n")
      .find((line) => line.startsWith(task?.id ?? "?"));
    expect(row?.split(/\s{2,}/)).toContain("2/2");
  });

  it("--retry-on names what is retried: another exit code fails at once; retries run out", async () => {
    const other = await submitWait(["--retry", "2", "--retry-on", "3", "--", "sh", "-c", "exit 4"]);
    expect(other.exitCode).toBe(4);
    expect(other.task).toMatchObject({ state: "failed", attempt: 1, exitCode: 4 });
    const spent = await submitWait([
      "--retry",
      "2",
      "--retry-delay",
      "0s",
      "--retry-on",
      "3",
      "--",
      "sh",
      "-c",
      "exit 3",
    ]);
    expect(spent.exitCode).toBe(3);
    expect(spent.task).toMatchObject({ state: "failed", attempt: 3 });
  });

  it("rv requeue of a task whose retries are spent runs it afresh: its retries count again", async () => {
    const first = await submitWait(["--retry", "1", "--retry-delay", "0s", "--", "sh", "-c", "exit 3"]);
    expect(first.task).toMatchObject({ state: "failed", attempt: 2 });
    const requeued = await rv(home.root, ["requeue", first.task?.id ?? "?"]);
    expect(requeued.exitCode, requeued.stderr as string).toBe(0);
    const again = await rv(home.root, ["wait", first.task?.id ?? "?", "--json", "--timeout", "30s"]);
    expect(json<Waited>(again.stdout as string).tasks[0]).toMatchObject({ state: "failed", attempt: 4 });
  });

  it("rv wait --tag that matches no task says so, never 'all succeeded'", async () => {
    const result = await rv(home.root, ["wait", "--tag", "no-such-tag"]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toContain("no task has the tag no-such-tag");
  });

  it("--timeout 1s: the attempt is stopped and fails with reason timeout", async () => {
    const started = Date.now();
    const { exitCode, task } = await submitWait(["--timeout", "1s", "--", "sleep", "30"]);
    expect(task).toMatchObject({ state: "failed", reason: "timeout" });
    expect(exitCode).not.toBe(0);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("--retry-on without --retry says what goes with it", async () => {
    const result = await rv(home.root, ["submit", "--retry-on", "1", "--", "true"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--retry-delay and --retry-on go with --retry N");
  });
});
