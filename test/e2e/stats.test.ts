import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

interface Usage {
  cpuSeconds: number;
  peakRssBytes: number;
  gpuPeakBytes?: number;
  samples: number;
}
interface Stats {
  tasks: {
    id: string;
    state: string;
    attempts: { attempt: number; state: string; elapsedMs: number | null; usage: Usage | null }[];
  }[];
}

// A child of the task's shell holds 100 MB and uses 1 s of CPU (however busy the machine), then idles long enough
// to be sampled.
const BURN = `const b = Buffer.alloc(100e6, 1); const cpu = () => { const u = process.cpuUsage(); return u.user + u.system; };
while (cpu() < 1e6) b[cpu() % b.length]++;
setTimeout(() => {}, 2500);`;

describe("rv stats (built binary, local lease)", () => {
  const home = useRvHome();
  const submitWait = async (args: string[]) => {
    const result = await rv(home.root, ["submit", "--wait", "--json", ...args]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    return json<{ tasks: { id: string }[] }>(String(result.stdout)).tasks[0]?.id ?? "?";
  };
  const stats = async (args: string[]) => {
    const result = await rv(home.root, ["stats", "--json", ...args]);
    expect(result.exitCode, String(result.stderr)).toBe(0);
    return json<Stats>(String(result.stdout)).tasks;
  };

  it("records the CPU time and peak memory of the task's process group, children included", async () => {
    // `; true` keeps sh from exec'ing node: the work is done by a child of the task's leader.
    const id = await submitWait(["--name", "burn", "--", "sh", "-c", '"$0" -e "$1"; true', process.execPath, BURN]);
    const [task] = await stats([id]);
    expect(task?.attempts).toHaveLength(1);
    const attempt = task?.attempts[0];
    expect(attempt).toMatchObject({ attempt: 1, state: "succeeded" });
    expect(attempt?.usage?.cpuSeconds).toBeGreaterThanOrEqual(0.5);
    expect(attempt?.usage?.peakRssBytes).toBeGreaterThanOrEqual(80e6);
    // No nvidia-smi (or no GPU) here: GPU memory is absent, not 0.
    expect(attempt?.usage).not.toHaveProperty("gpuPeakBytes");
    expect(attempt?.elapsedMs).toBeGreaterThanOrEqual(3000);

    const table = String((await rv(home.root, ["stats"])).stdout);
    expect(table.split("\n")[0]?.split(/\s{2,}/)).toEqual(expect.arrayContaining([id, "burn", "1", "succeeded"]));
    const shown = String((await rv(home.root, ["show", id])).stdout);
    expect(shown).toMatch(/used cpu \d+\.\ds \(\d+%\), peak mem \d+M/);
  });

  it("a retried task lists both attempts, each with its own figures", async () => {
    const id = await submitWait([
      ...["--retry", "1", "--retry-delay", "0s", "--tag", "retried", "--"],
      ...["sh", "-c", 'sleep 2; test "$RV_ATTEMPT" -gt 1'],
    ]);
    const [task] = await stats(["--tag", "retried"]);
    expect(task?.id).toBe(id);
    expect(task?.attempts.map((a) => [a.attempt, a.state])).toEqual([
      [1, "requeued"],
      [2, "succeeded"],
    ]);
    for (const attempt of task?.attempts ?? []) {
      expect(attempt.usage?.samples).toBeGreaterThanOrEqual(1);
      expect(attempt.elapsedMs).toBeGreaterThanOrEqual(1900);
    }
  });
});

describe("rv stats with nothing named: the newest tasks, as rv tasks lists them", () => {
  const home = useRvHome();

  it("shows the newest 20 (-n N: N, 0: all), counts the rest, and finds every attempt of each it shows", async () => {
    // A line of --from is a task spec: the second retries once, its first attempt failing.
    const specs = [
      { argv: ["true"] },
      { shell: 'test "$RV_ATTEMPT" -gt 1', retry: 1, retryDelay: "0s" },
      { argv: ["true"] },
    ];
    const from = join(home.root, "specs.jsonl");
    writeFileSync(from, specs.map((spec) => JSON.stringify(spec)).join("\n"));
    const submitted = await rv(home.root, ["submit", "--json", "--from", from]);
    expect(submitted.exitCode, String(submitted.stderr)).toBe(0);
    const ids = json<{ tasks: { id: string }[] }>(String(submitted.stdout)).tasks.map((t) => t.id);
    expect((await rv(home.root, ["wait", ...ids, "--timeout", "60s"])).exitCode).toBe(0);

    const stats = async (args: string[]) => {
      const result = await rv(home.root, ["stats", "--json", ...args]);
      expect(result.exitCode, String(result.stderr)).toBe(0);
      return json<Stats & { total: number }>(String(result.stdout));
    };
    const newest = await stats(["-n", "2"]);
    expect(newest.total).toBe(3);
    expect(newest.tasks.map((t) => t.id)).toEqual(ids.slice(1));
    expect(newest.tasks[0]?.attempts.map((a) => [a.attempt, a.state])).toEqual([
      [1, "requeued"],
      [2, "succeeded"],
    ]);
    expect((await stats([])).tasks.map((t) => t.id)).toEqual(ids);
    expect((await stats(["-n", "0"])).tasks.map((t) => t.id)).toEqual(ids);
    // Not at a terminal: rows without a header, one per attempt.
    const table = String((await rv(home.root, ["stats", "-n", "1"])).stdout);
    expect(
      table
        .trim()
        .split("\n")
        .map((row) => row.split(/\s+/)[0]),
    ).toEqual([ids[2]]);

    const both = await rv(home.root, ["stats", ids[0] ?? "?", "-n", "1"]);
    expect(both.exitCode).toBe(2);
    expect(String(both.stderr)).toMatch(/-n counts the newest of every task or of a tag's/);
  });
});
