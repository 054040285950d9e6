import { existsSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { leasePaths } from "../../src/fsqueue/index.ts";
import { writeLease } from "../../src/lease/index.ts";
import { writeRace } from "../../src/lease/race/store.ts";
import { ask, strategy } from "../allocator/fixtures.ts";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";
import { waitFor } from "../helpers/wait.ts";

interface Runner {
  id: string;
  pid: number;
  health: string;
  gpus: string[];
  cpus: number;
}
interface ShowJson {
  lease: { id: string; state: string };
  runners: Runner[];
  counts: Record<string, number>;
  gpus: { total: number; busy: number; free: number };
}

/** Running, that is: a zombie (killed, not yet reaped by whoever adopted it) counts as gone. */
function alive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
}

describe("local leases (built binary)", () => {
  const home = useRvHome();
  const show = async (lease: string) =>
    json<ShowJson>(String((await rv(home.root, ["lease", "show", lease, "--json"])).stdout));

  it("lease up starts a detached runner with the GPUs and CPUs asked for; show, ls and status describe it", async () => {
    const up = await rv(home.root, [
      "lease",
      "up",
      "--local",
      "--name",
      "exp",
      "--gpu-ids",
      "0,1,2,3",
      "--cpus",
      "3",
      "--json",
    ]);
    expect(up.exitCode).toBe(0);
    const { pid } = json<{ pid: number; outcome: string }>(String(up.stdout));
    expect(alive(pid)).toBe(true);
    const lease = await show("exp");
    expect(lease.runners).toHaveLength(1);
    expect(lease.runners[0]).toMatchObject({ pid, health: "ok", gpus: ["0", "1", "2", "3"], cpus: 3 });
    expect(lease.gpus).toEqual({ total: 4, busy: 0, free: 4 });
    const again = json<{ outcome: string }>(
      String((await rv(home.root, ["lease", "up", "--local", "--name", "exp", "--json"])).stdout),
    );
    expect(again.outcome).toBe("already-running");
    const resize = await rv(home.root, ["lease", "up", "--local", "--name", "exp", "--cpus", "1"]);
    expect(resize.stderr).toMatch(/lease exp is already running; its GPUs and CPUs stay as they are/);
    const ls = String((await rv(home.root, ["lease", "ls"])).stdout);
    expect(ls).toMatch(/^exp\s+local\s+local\s+active\s+1\s+0\/4/m);
    const status = String((await rv(home.root, ["status"])).stdout);
    expect(status).toMatch(/lease exp\s+active\s+1 live runner\s+GPUs 0 busy \/ 4 free/);
    expect(statSync(join(home.root, "leases")).mode & 0o777).toBe(0o700);
    expect(statSync(join(home.root, "leases", "exp", "lease.json")).mode & 0o777).toBe(0o600);
  });

  it("a task survives kill -9 of its runner: it shows as lost, and the resumed lease runs it again as attempt 2", async () => {
    await rv(home.root, ["lease", "up", "--local", "--name", "exp"]);
    const marker = join(home.root, "attempts");
    const id = String(
      (
        await rv(home.root, [
          "submit",
          "--lease",
          "exp",
          "--shell",
          `echo $$ > ${marker}.pid$RV_ATTEMPT; echo $RV_ATTEMPT >> ${marker}; sleep 30`,
        ])
      ).stdout,
    ).trim();
    await waitFor(() => existsSync(marker) && readFileSync(marker, "utf8") === "1\n", { what: "attempt 1 to start" });
    const [runner] = (await show("exp")).runners;
    process.kill(runner?.pid ?? 0, "SIGKILL");
    await waitFor(async () => {
      const tasks = json<{ tasks: { state: string }[] }>(String((await rv(home.root, ["tasks", "--json"])).stdout));
      return tasks.tasks[0]?.state === "lost";
    });
    const submitToDead = await rv(home.root, ["submit", "--lease", "exp", "--", "true"]);
    expect(submitToDead.exitCode).toBe(0);
    expect(submitToDead.stderr).toMatch(
      /no runner is alive for lease exp; the task is queued\. Resume with: rv lease up --local --name exp/,
    );
    expect(String((await rv(home.root, ["status"])).stdout)).toMatch(/1 lost/);

    expect((await rv(home.root, ["lease", "up", "--local", "--name", "exp"])).stderr).toMatch(
      /resumed local lease exp/,
    );
    await waitFor(() => readFileSync(marker, "utf8") === "1\n2\n", { what: "attempt 2 to start" });
    const tasks = String((await rv(home.root, ["tasks"])).stdout);
    expect(tasks).toMatch(new RegExp(`${id}\\s+-\\s+running\\s+2\\s`));
    // The orphaned first attempt was killed before the second started: never two at once.
    expect(alive(Number(readFileSync(`${marker}.pid1`, "utf8")))).toBe(false);
    expect(alive(Number(readFileSync(`${marker}.pid2`, "utf8")))).toBe(true);
  });

  it("release drains by default, --now requeues running tasks, and a released lease refuses new tasks", async () => {
    await rv(home.root, ["lease", "up", "--local", "--name", "exp"]);
    const id = String((await rv(home.root, ["submit", "--lease", "exp", "--", "sleep", "30"])).stdout).trim();
    await waitFor(async () => (await show("exp")).counts.running === 1);
    const dry = await rv(home.root, ["lease", "release", "exp", "--dry-run"]);
    expect(dry.stdout).toMatch(/exp\s+would release/);
    expect((await show("exp")).lease.state).toBe("active");
    const release = await rv(home.root, ["lease", "release", "exp", "--now", "--wait"]);
    expect(release.exitCode).toBe(0);
    const after = await show("exp");
    expect(after.lease.state).toBe("released");
    expect(after.runners.every((r) => r.health === "exited")).toBe(true);
    const tasks = json<{ tasks: { id: string; state: string; attempt: number }[] }>(
      String((await rv(home.root, ["tasks", "--json"])).stdout),
    );
    expect(tasks.tasks).toEqual([expect.objectContaining({ id, state: "pending", attempt: 2 })]);
    const refused = await rv(home.root, ["submit", "--lease", "exp", "--", "true"]);
    expect(refused.exitCode).toBe(5);
    expect(refused.stderr).toMatch(
      /lease exp was released\n {2}hint: start it again with: rv lease up --local --name exp/,
    );
  });
});

describe("a submit while a race of shapes is on (a Slurm lease's records on this machine, no cluster)", () => {
  const home = useRvHome();

  it("warns of the task no part of the smallest shape holds, and queues it", async () => {
    writeLease(home.root, makeSlurmLease({ id: "sweep", request: { gpusPerNode: 4 } }));
    const shape = (rank: number, parts: number, gpusPerNode: number) =>
      Array.from({ length: parts }, (_, part) => ({
        rank,
        strategy: strategy({ id: `a6000:1x${gpusPerNode}:2h59m`, gpusPerNode }),
        estimate: null,
        jobId: String(200 + rank * 10 + part),
        refused: null,
        parts,
        part,
      }));
    writeRace(leasePaths(home.root, "sweep"), {
      v: 1,
      lease: "sweep",
      attempt: 1,
      startedAt: "2026-11-23T10:00:00.000Z",
      profile: null,
      request: ask({ gpus: 4 }),
      decision: { at: 1_800_000_000, candidates: [] },
      shapes: true,
      entries: [...shape(1, 1, 4), ...shape(2, 2, 2), ...shape(3, 4, 1)],
    });
    const one = await rv(home.root, ["submit", "--lease", "sweep", "--gpus", "1", "--", "true"]);
    expect(one.exitCode, one.stderr as string).toBe(0);
    expect(one.stderr).not.toContain("races its shapes");
    const two = await rv(home.root, ["submit", "--lease", "sweep", "--gpus", "2", "--", "true"]);
    expect(two.exitCode, two.stderr as string).toBe(0);
    const id = String(two.stdout).trim();
    expect(two.stderr).toContain(
      `task ${id} asks for 2 GPUs while lease sweep races its shapes: should 4 x 1 GPU win, no part holds it and it waits (at most 1 runs in any shape)`,
    );
    expect(existsSync(join(leasePaths(home.root, "sweep").inbox, `${id}.json`))).toBe(true);
  });
});
