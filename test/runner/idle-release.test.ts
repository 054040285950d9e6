/**
 * `--idle-release`: the idle clock as a pure function, then on a real runner process that gives its lease back
 * once nothing has waited or run for the limit, and a runner that finds its lease released and exits at once.
 */
import { existsSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  controlFile,
  type LeasePaths,
  publishTask,
  readHeartbeats,
  readPending,
  type SlurmLease,
} from "../../src/fsqueue/index.ts";
import { readLease, writeLease } from "../../src/lease/index.ts";
import { idleVerdict } from "../../src/runner/idle.ts";
import type { RunnerExit } from "../../src/runner/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";
import { shellTask } from "./factory.ts";
import { eventsOf, paths, useRunnerHome, waitDone } from "./harness.ts";

const LIMIT = 10_000;
const idle = { pending: 0, claimed: 0 };

describe("idleVerdict: since when the lease has been idle", () => {
  it("starts at the first idle look and releases once the limit has passed without a break", () => {
    expect(idleVerdict(null, idle, 1000, LIMIT)).toEqual({ idleSince: 1000, release: false });
    expect(idleVerdict(1000, idle, 10_999, LIMIT)).toEqual({ idleSince: 1000, release: false });
    expect(idleVerdict(1000, idle, 11_000, LIMIT)).toEqual({ idleSince: 1000, release: true });
  });

  it("a task that arrives resets the clock, and it starts again only when the task has left", () => {
    let since: number | null = 0;
    const look = (at: number, activity = idle) => {
      const verdict = idleVerdict(since, activity, at, LIMIT);
      since = verdict.idleSince;
      return verdict;
    };
    expect(look(9000)).toEqual({ idleSince: 0, release: false });
    expect(look(9500, { pending: 1, claimed: 0 })).toEqual({ idleSince: null, release: false }); // submitted
    expect(look(12_000, { pending: 0, claimed: 1 })).toEqual({ idleSince: null, release: false }); // running long
    expect(look(30_000)).toEqual({ idleSince: 30_000, release: false }); // it finished: idle from here
    expect(look(39_999)).toEqual({ idleSince: 30_000, release: false });
    expect(look(40_000)).toEqual({ idleSince: 30_000, release: true });
  });

  it("a task claimed by another runner of the lease counts as much as one of this runner's", () => {
    expect(idleVerdict(0, { pending: 0, claimed: 1 }, 60_000, LIMIT)).toEqual({ idleSince: null, release: false });
  });
});

const LEASE = "idle";
const home = useRunnerHome();

function slurmLease(state: "active" | "released"): SlurmLease {
  return makeSlurmLease({ id: LEASE, state, request: { partition: "gpu", idleReleaseSeconds: 2 } });
}

function leaseWith(state: "active" | "released"): LeasePaths {
  const p = paths(home.root, LEASE);
  writeLease(home.root, slurmLease(state));
  return p;
}

const exitOf = (result: { stdout: unknown }) => JSON.parse(String(result.stdout)) as RunnerExit;

describe("a runner with --idle-release", () => {
  it("holds the lease while a task runs past the limit, then releases it after the limit of idleness and exits", async () => {
    const p = leaseWith("active");
    const task = shellTask(LEASE, "sleep 3");
    publishTask(p, task);
    const child = home.spawn(LEASE, { idleReleaseMs: 2000 });

    const done = await waitDone(p, task.id);
    expect(done.state).toBe("succeeded");
    expect(readLease(home.root, LEASE)?.state).toBe("active"); // 3 s of work is not 2 s of idleness
    const result = await child;
    const exitedAt = Date.now();

    expect(result.exitCode, result.stderr).toBe(0);
    expect(exitOf(result)).toMatchObject({ reason: "idle-released", finished: 1 });
    expect(exitedAt - Date.parse(done.endedAt)).toBeGreaterThanOrEqual(2000);
    expect(readLease(home.root, LEASE)).toEqual({
      ...slurmLease("active"),
      createdAt: expect.any(String),
      state: "released",
    });
    expect(existsSync(controlFile(p, "lease", "drain"))).toBe(true); // every runner of the lease stops claiming
    expect(eventsOf(p, "draining")).toMatchObject([
      { detail: expect.stringMatching(/lease released: nothing pending/) },
    ]);
    expect(readHeartbeats(p)).toMatchObject([{ state: "exited" }]);
  });

  it("a runner whose lease was released exits at once and leaves the inbox alone", async () => {
    const p = leaseWith("released");
    const task = shellTask(LEASE, "echo should not run");
    publishTask(p, task);
    const child = home.spawn(LEASE, { idleReleaseMs: 2000 });

    const result = await child;
    expect(result.exitCode, result.stderr).toBe(0);
    expect(exitOf(result)).toMatchObject({ reason: "released", finished: 0 });
    expect(result.stderr).toMatch(/lease idle was released: the runner exits without serving it/);
    expect(readPending(p).map((entry) => entry.key)).toEqual([task.id]);
    expect(readHeartbeats(p)).toEqual([]);
  });
});
