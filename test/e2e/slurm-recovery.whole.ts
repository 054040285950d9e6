import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// The allocator and recovery on the dev cluster, in a backfill hole: a100-01 is held for an hour by a whole-node
// job, and a 2-node job waits for it, so Slurm plans it on both a100 nodes in an hour. a100-02 is an idle
// 1-hour hole: a job that ends before then may take it, one of 2h59m may not.
const laptop = makeHome("rv-recovery-laptop-");
const cluster = makeHome("rv-recovery-cluster-");
const root = join(cluster.root, "root");
const HOLE = `rv-recovery-hole-${process.pid}`;
const LEASES = ["tmin", "again"];

interface Shown {
  phase: { kind: string; why?: string };
  supervision: { by: string; did: string }[];
  race: { jobId: string | null; state: string }[] | null;
  segments: { segment: { n: number; jobId: string; wallSeconds: number } }[];
}

const jobsOf = async (lease: string) =>
  (await execa("squeue", ["-h", "-n", `rv-${lease}-0`, "-o", "%i %T %l"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id, state, limit] = line.split(" ");
      return { id: id as string, state, limit };
    });

async function show(lease: string): Promise<Shown> {
  const result = await rv(laptop.root, ["lease", "show", lease, "--json"]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<Shown>(result.stdout as string);
}

/** `rv lease show` until it says what `ready` waits for (the lease's watchdog acts by itself). */
async function showWhen(lease: string, ready: (shown: Shown) => boolean): Promise<Shown> {
  let last: Shown | undefined;
  try {
    return await waitFor(
      async () => {
        last = await show(lease);
        return ready(last) ? last : undefined;
      },
      { what: `lease ${lease} to be as expected`, timeoutMs: 60_000, intervalMs: 1000 },
    );
  } catch (error) {
    throw new Error(
      `${(error as Error).message}; last seen: ${JSON.stringify({ phase: last?.phase, supervision: last?.supervision })}`,
    );
  }
}

const retryFile = (lease: string) => join(root, "leases", lease, "retry.json");
const readRetry = (lease: string) =>
  json<{ failures: { key: string; at: string }[]; paused: { why: string } | null }>(
    readFileSync(retryFile(lease), "utf8"),
  );

/**
 * The backoff after the last failure, spent: its time is moved 10 minutes back, so the next look acts at once
 * instead of after 30 s or 2 min (the schedule itself is tested in test/lease/recovery.test.ts).
 */
function spendBackoff(lease: string): void {
  const retry = readRetry(lease);
  const earlier = (at: string) => new Date(Date.parse(at) - 600_000).toISOString();
  writeFileSync(
    retryFile(lease),
    `${JSON.stringify({ ...retry, failures: retry.failures.map((f) => ({ ...f, at: earlier(f.at) })) })}\n`,
  );
}

/** Cancels every job of the lease's race that is queued now, and waits until Slurm says they ended. */
async function cancelRacers(lease: string): Promise<string[]> {
  const ids = await waitFor(
    async () => {
      const jobs = await jobsOf(lease);
      return jobs.length > 0 && jobs.every((j) => j.state === "PENDING") ? jobs.map((j) => j.id) : undefined;
    },
    { what: `the racers of ${lease} to be queued`, timeoutMs: 30_000, intervalMs: 500 },
  );
  await execa("scancel", ids);
  await waitFor(async () => (await jobsOf(lease)).every((j) => j.state !== "PENDING"), {
    what: `the racers of ${lease} to be cancelled`,
    timeoutMs: 30_000,
    intervalMs: 500,
  });
  return ids;
}

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "recovery");
  const sbatch = (args: string[]) =>
    execa("sbatch", ["--parsable", "-J", HOLE, "-A", "lab", "-o", "/dev/null", ...args]);
  await sbatch(["-p", "gpu-a100-80", "-w", "a100-01", "--gres=gpu:4", "-t", "1:00:00", "--wrap", "sleep 3600"]);
  await waitFor(async () => (await execa("squeue", ["-h", "-n", HOLE, "-t", "RUNNING", "-o", "%i"])).stdout.trim(), {
    what: "a100-01 to be held",
    timeoutMs: 30_000,
    intervalMs: 500,
  });
  await sbatch(["-p", "gpu-a100-80", "-N", "2", "--gres=gpu:4", "-t", "1:00:00", "--wrap", "sleep 60"]);
  await waitFor(
    async () => /^\d{4}-/.test((await execa("squeue", ["-h", "-n", HOLE, "-t", "PENDING", "-o", "%S"])).stdout.trim()),
    { what: "Slurm to plan the 2-node job", timeoutMs: 30_000, intervalMs: 500 },
  );
});

afterAll(async () => {
  for (const lease of LEASES) await rv(laptop.root, ["lease", "release", lease, "--now"]);
  await scancelByName([HOLE, ...LEASES.flatMap((l) => [`rv-${l}-0`, `rv-${l}-1`])]);
  await closeSshMaster(laptop.root, "rv-recovery");
  laptop.cleanup();
  cluster.cleanup();
});

describe("a lease in a backfill hole", () => {
  test("--time-min: Slurm shortens the job to fit the hole, and the lease plans the rest from the granted end", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--gpu", "4", "--type", "a100_80g", "--time", "3h", "--name", "tmin", "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const shown = await waitFor(
      async () => {
        const seen = await show("tmin");
        return seen.segments.length >= 2 ? seen : undefined;
      },
      { what: "segment 0 recorded and its successor asked", timeoutMs: 60_000, intervalMs: 1000 },
    );
    const [first, next] = shown.segments.map((v) => v.segment);
    const running = (await jobsOf("tmin")).find((j) => j.id === first?.jobId);
    // asked 2:59:00 with --time-min 0:45:00; the hole is under an hour
    expect(running?.state).toBe("RUNNING");
    expect(running?.limit).not.toBe("2:59:00");
    expect(first?.wallSeconds).toBeLessThanOrEqual(3600);
    expect(first?.wallSeconds).toBeGreaterThanOrEqual(45 * 60 - 60);
    expect((first?.wallSeconds ?? 0) + (next?.wallSeconds ?? 0)).toBe(3 * 3600);
    await rv(laptop.root, ["lease", "release", "tmin", "--now", "--wait"]);
  }, 120_000);
});

describe("recovery of a race with no winner", () => {
  test("with nobody looking, it runs again, waits out a backoff, pauses at the fourth failure in a row, and resumes", async () => {
    // 2 nodes x 2 GPUs cannot start before the 2-node job: every racer stays queued until the test cancels it.
    // Each race's watchdog wakes when all its jobs have ended and races again; the test only reads (rv lease show
    // nudges only an act overdue by a minute) until it spends a backoff, which the waiting watchdog then acts on.
    const up = await rv(laptop.root, [
      ...["lease", "up", "--gpu", "4", "--type", "a100_80g", "--nodes", "2", "--time", "3h", "--name", "again"],
      "--detach",
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const firstRace = await cancelRacers("again");
    // Read from retry.json as the watchdog wrote it: after the new race, and a reader's look shows a failure
    // before it is written.
    const counted = (n: number) => () => existsSync(retryFile("again")) && readRetry("again").failures.length === n;

    // The look and retry.json are read at two moments: the race files are written before the watchdog journals
    // the race and records its failure, so a look taken between them shows the new race and no entry yet.
    const second = await showWhen(
      "again",
      (s) =>
        s.phase.kind === "racing" &&
        s.race?.[0]?.jobId !== firstRace[0] &&
        s.supervision.some((entry) => entry.did.startsWith("raced again: attempt 2")) &&
        counted(1)(),
    );
    expect(second.race?.map((r) => r.jobId)).not.toEqual(expect.arrayContaining(firstRace));
    expect(readRetry("again").failures.map((f) => f.key)).toEqual(["race 1"]);
    expect(second.supervision).toContainEqual(
      expect.objectContaining({
        by: expect.stringMatching(/^watchdog job/),
        did: expect.stringMatching(/^raced again: attempt 2/),
      }),
    );

    await cancelRacers("again");
    const waiting = await showWhen("again", (s) => s.phase.kind === "retrying" && counted(2)());
    expect(waiting.phase).toMatchObject({ kind: "retrying", why: expect.stringContaining("race 2: every strategy") });
    expect(await jobsOf("again")).toEqual([]);

    for (const attempt of [3, 4]) {
      spendBackoff("again");
      await showWhen("again", (s) => s.phase.kind === "racing");
      await cancelRacers("again");
      await showWhen("again", (s) => s.phase.kind === (attempt === 4 ? "paused" : "retrying") && counted(attempt)());
    }
    spendBackoff("again");
    const text = await rv(laptop.root, ["lease", "show", "again"]);
    expect(text.stdout).toMatch(/paused: 4 failures in a row, the last: race 4: /);
    expect(text.stdout).toContain("rv lease resume again");
    expect(await jobsOf("again")).toEqual([]);

    const resumed = await rv(laptop.root, ["lease", "resume", "again"]);
    expect(resumed.exitCode, resumed.stderr as string).toBe(0);
    expect(resumed.stdout).toMatch(/^again\tqueued \(racing \d+ strategies/);
    expect((await jobsOf("again")).length).toBeGreaterThan(0);
    // the failure that paused it counts again, as the first of a new run: resumed, it races at once
    expect(readRetry("again")).toMatchObject({ failures: [{ key: "race 4" }], paused: null });

    const again = await rv(laptop.root, ["lease", "resume", "again"]);
    expect(again.exitCode).toBe(2);
    expect(again.stderr).toContain("lease again is not paused");
  }, 300_000);
});
