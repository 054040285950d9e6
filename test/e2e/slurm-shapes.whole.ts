import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { leasePaths, publishTask } from "../../src/fsqueue/index.ts";
import { ALIVE_JOB_STATES, closeSshMaster, initLaptop, leaseSegmentJobs, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask } from "../runner/factory.ts";

// A race of shapes (`rv lease up --parts auto`) on the dev cluster. `--gpu 2` races the lease whole (one job of
// 2 GPUs, rank 1) against two 1-GPU parts (rank 2). Other jobs hold all of a6000-02 and 3 of a6000-01's 4 GPUs,
// so gpu-a6000 has one GPU free: no whole shape can start, one part does and claims the lease for its shape, and
// the whole job is cancelled. The lease is then a lease of 2 parts: a 1-GPU task runs at once, a 2-GPU one is
// refused; once a6000-02 frees, the other part starts; release cancels both. About a minute.
const laptop = makeHome("rv-shapes-laptop-");
const cluster = makeHome("rv-shapes-cluster-");
const root = join(cluster.root, "root");
// Slurm lists finished jobs for MinJobAge: this run's pid keeps an earlier run's jobs apart.
const LEASE = `shapes-${process.pid % 100_000}`;
const LOAD = `rv-shapes-load-${process.pid}`;
const ALIVE = ALIVE_JOB_STATES;

const jobsOf = () => leaseSegmentJobs(LEASE);

type Shown = {
  lease: { request: { parts?: number; gpusPerNode: number } };
  runners: { health: string; gpus: string[] }[];
  phase: { kind: string; parts?: { running: number; of: number } };
  parts?: { part: number; segment: number; jobId: string; state: string | null }[];
  race: { rank: number; parts?: number; part?: number; jobId: string | null; state: string }[] | null;
  due: { acts: string[] } | null;
  tooLarge: string[];
};
const show = async (): Promise<Shown> =>
  json<Shown>((await rv(laptop.root, ["lease", "show", LEASE, "--json"])).stdout as string);

async function load(node: string, gpus: number): Promise<void> {
  await execa("sbatch", [
    ...["--parsable", "-J", LOAD, "-o", "/dev/null", "-t", "10", "-p", "gpu-a6000", "-w", node],
    ...[`--gres=gpu:${gpus}`, "--wrap", "sleep 600"],
  ]);
}

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "shp");
});

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
  await scancelByName([LOAD, ...[0, 1, 2, 3].map((n) => `rv-${LEASE}-${n}`)]);
  await closeSshMaster(laptop.root, "rv-shp");
  laptop.cleanup();
  cluster.cleanup();
});

describe("a race of shapes on the dev cluster", () => {
  test("--parts auto takes GPUs to share and no --nodes, and says so before anything is asked of Slurm", async () => {
    const one = await rv(laptop.root, ["lease", "up", "--gpu", "1", "--parts", "auto"]);
    expect(one.exitCode).toBe(2);
    expect(one.stderr).toContain("--parts auto races the lease whole against it in parts");
    const nodes = await rv(laptop.root, ["lease", "up", "--gpu", "4", "--nodes", "2", "--parts", "auto"]);
    expect(nodes.exitCode).toBe(2);
    expect(nodes.stderr).toContain("it takes no --nodes");
  });

  test("a dry run shows every shape's jobs: the lease whole, in halves, in 1-GPU parts, each part claiming as its own", async () => {
    const dry = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a100-80", "--gpu", "4", "--parts", "auto", "--dry-run", "--json"],
    ]);
    expect(dry.exitCode, dry.stderr as string).toBe(0);
    const shown = json<{
      racers: { rank: number; parts?: number; part?: number; strategy: { gpusPerNode: number }; script: string }[];
    }>(dry.stdout as string);
    // in the order they are submitted: most parts first, so the whole lease's job holds none of their GPUs back
    expect(shown.racers.map((r) => [r.rank, r.parts ?? 1, r.part ?? 0, r.strategy.gpusPerNode])).toEqual([
      [3, 4, 0, 1],
      [3, 4, 1, 1],
      [3, 4, 2, 1],
      [3, 4, 3, 1],
      [2, 2, 0, 2],
      [2, 2, 1, 2],
      [1, 1, 0, 4],
    ]);
    const part = shown.racers[2]?.script ?? "";
    expect(part).toContain("export RV_SEGMENT=2");
    expect(part).toContain('lease claim --lease "$RV_LEASE" --attempt 1 --rank 3 --part 2 --job "$SLURM_JOB_ID"');
    expect(part).not.toContain("--time-min");
    expect(await jobsOf()).toEqual([]);
  });

  test("the shape whose job starts first holds the lease: its parts serve the inbox, the other shape is cancelled, release reaches every part", async () => {
    await load("a6000-01", 3);
    await load("a6000-02", 4);
    await waitFor(
      async () =>
        (await execa("squeue", ["-h", "-n", LOAD, "-t", "RUNNING", "-o", "%i"])).stdout.trim().split("\n").length === 2,
      { what: "the load to hold 7 of gpu-a6000's 8 GPUs", timeoutMs: 30_000, intervalMs: 500 },
    );
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a6000", "--gpu", "2", "--parts", "auto", "--segment", "5m"],
      ...["--name", LEASE, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    // ready once a runner beats: the race's rows then say which shape won
    const race = json<{ race: { rank: number; parts?: number; state: string }[] }>(up.stdout as string).race;
    // the race's rows by rank
    expect(race.map((r) => [r.rank, r.parts ?? 1])).toEqual([
      [1, 1],
      [2, 2],
      [2, 2],
    ]);
    expect(race.filter((r) => r.state === "won").map((r) => r.rank)).toEqual([2, 2]);

    const won = await waitFor(
      async () => {
        const seen = await show();
        return seen.runners.some((r) => r.health === "ok") && seen.lease.request.parts === 2 ? seen : undefined;
      },
      { what: "a part to claim the lease and its runner to beat", timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(won.lease.request.gpusPerNode).toBe(1);
    expect(won.phase).toMatchObject({ kind: "running", parts: { running: 1, of: 2 } });
    expect(won.parts?.map((p) => [p.part, p.segment])).toEqual([
      [0, 0],
      [1, 1],
    ]);
    // The whole lease's job lost: cancelled, and no job of the lease but the two parts is left.
    const whole = won.race?.find((r) => r.rank === 1);
    expect(whole).toBeDefined();
    await waitFor(async () => (await jobsOf()).filter((j) => ALIVE.has(j.state)).length === 2, {
      what: "the whole lease's job to be cancelled",
      timeoutMs: 30_000,
      intervalMs: 500,
    });
    const partJobs = new Set(won.parts?.map((p) => p.jobId));
    expect((await jobsOf()).filter((j) => ALIVE.has(j.state)).every((j) => partJobs.has(j.id))).toBe(true);
    // A look, and a supervisor's pass (a watchdog's), take the waiting part for a part, not for a racer that lost.
    expect((await show()).due).toBeNull();
    const healed = await rv(root, ["lease", "supervise", LEASE]);
    expect(healed.exitCode, healed.stderr as string).toBe(0);
    const after = await show();
    expect(after.parts?.map((p) => [p.part, p.segment, p.jobId])).toEqual(
      won.parts?.map((p) => [p.part, p.segment, p.jobId]),
    );
    expect(after.parts?.map((p) => p.state).sort()).toEqual(["PENDING", "RUNNING"]);

    // Each part's first segment has its watchdog, as every segment of a lease of parts has.
    const watchdogs = await execa("squeue", ["-h", "-n", `rv-${LEASE}-watch`, "-o", "%i"]);
    expect(watchdogs.stdout.trim().split("\n").filter(Boolean)).toHaveLength(2);
    const alloc = await rv(laptop.root, ["lease", "show", LEASE, "--alloc"]);
    expect(alloc.stdout).toMatch(/rank 2 part 1 of 2 a6000:1x1:/);
    expect(alloc.stdout).toMatch(/part 0 of 2 +\d+ +won/);

    // A task of one GPU runs in the part that holds one; no part holds two, so such a task is refused.
    const sent = await rv(laptop.root, ["submit", "--lease", LEASE, "--gpus", "1", "--wait", "--", "true"]);
    expect(sent.exitCode, `${sent.stdout}${sent.stderr}`).toBe(0);
    const big = await rv(laptop.root, ["submit", "--lease", LEASE, "--gpus", "2", "--", "true"]);
    expect(big.exitCode).toBe(9);
    expect(big.stderr).toContain("is 2 parts of 1 GPU each");
    // One queued while the race was on (written to the inbox as a submit then would have): every runner names it,
    // and the lease says it waits for a runner larger than any it has.
    const early = makeTask(LEASE, { gpus: 2 });
    publishTask(leasePaths(root, LEASE), early);
    await waitFor(async () => (await show()).tooLarge.includes(early.id), {
      what: "the 2-GPU task named too large",
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
    const text = await rv(laptop.root, ["lease", "show", LEASE]);
    expect(text.stdout).toContain(`1 task waits for a runner larger than any the lease has: ${early.id}`);
    expect((await rv(laptop.root, ["cancel", early.id])).exitCode).toBe(0);

    // a6000-02 frees: the other part starts there.
    await execa("scancel", ["-n", LOAD, "-w", "a6000-02"]);
    await waitFor(async () => (await show()).runners.filter((r) => r.health === "ok").length === 2, {
      what: "the second part's runner",
      timeoutMs: 60_000,
      intervalMs: 1000,
    });

    const released = await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
    expect(released.exitCode, released.stderr as string).toBe(0);
    await waitFor(async () => (await jobsOf()).every((j) => !ALIVE.has(j.state)), {
      what: "every job of the lease to end",
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
  }, 240_000);
});
