import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// Living with a Slurm lease (issue 4): a lease that nobody uses gives its GPUs back by itself (--idle-release),
// and `rv lease extend` adds time, submitting the next segment itself when the last one was not going to renew.
const laptop = makeHome("rv-living-laptop-");
const cluster = makeHome("rv-living-cluster-");
const root = join(cluster.root, "root");
// Lease names carry this run's pid: Slurm lists finished jobs for MinJobAge, so an earlier run's jobs linger.
const run = process.pid % 100_000;
const [idle, extended] = [`idle-${run}`, `ext-${run}`];

/** The lease's jobs Slurm still holds, finished ones left out: `{id, n, state, dependency}`. */
const jobsOf = async (lease: string) =>
  (await execa("squeue", ["-h", "-o", "%i|%j|%T|%E"])).stdout
    .split("\n")
    .map((line) => line.split("|"))
    .filter(([, name]) => name?.startsWith(`rv-${lease}-`))
    .map(([id, name, state, dependency]) => ({
      id: id ?? "",
      n: Number(name?.slice(`rv-${lease}-`.length)),
      state: state ?? "",
      dependency: dependency ?? "",
    }));

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "lv");
});

afterAll(async () => {
  for (const lease of [idle, extended]) await rv(laptop.root, ["lease", "release", lease, "--now"]);
  const names = [idle, extended].flatMap((l) => [0, 1, 2].map((n) => `rv-${l}-${n}`)).join(",");
  await scancelByName(names.split(","));
  await closeSshMaster(laptop.root, "rv-lv");
  laptop.cleanup();
  cluster.cleanup();
});

interface Shown {
  lease: { state: string; request: { totalSeconds: number; idleReleaseSeconds?: number | null } };
  segments: { segment: { n: number; jobId: string } }[];
}

async function show(lease: string): Promise<Shown> {
  const result = await rv(laptop.root, ["lease", "show", lease, "--json"]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<Shown>(result.stdout as string);
}

describe("living with a Slurm lease", () => {
  test("--idle-release 20s with no task: the lease releases itself and leaves nothing in squeue; extend refuses it", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "interactive-rtx3090", "--gpu", "1", "--segment", "2m", "--time", "10m"],
      ...["--idle-release", "20s", "--name", idle, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const readyAt = Date.now();
    // Segment 0 renews when it starts: segment 1 waits behind it, and must not outlive the release either.
    await waitFor(async () => (await jobsOf(idle)).some((j) => j.n === 1), { what: "segment 1", intervalMs: 500 });

    await waitFor(async () => (await show(idle)).lease.state === "released", {
      what: "the idle runner to release the lease",
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    // Not before its 20 s: `lease up` sees the runner's first beat up to a poll (2 s) and a round trip late.
    expect(Date.now() - readyAt).toBeGreaterThanOrEqual(15_000);
    // `rv lease show` of a released lease cancels its queued segments; segment 0 ends with its runner.
    await waitFor(async () => (await show(idle)) && (await jobsOf(idle)).length === 0, {
      what: "the lease's jobs to leave squeue",
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
    expect((await show(idle)).lease.request.idleReleaseSeconds).toBe(20);

    const extend = await rv(laptop.root, ["lease", "extend", idle, "--time", "1h"]);
    expect(extend.exitCode).toBe(5);
    expect(extend.stderr).toMatch(/lease idle-\d+ was released/);
  }, 150_000);

  test("extend of a lease whose only segment does not renew: segment 1 is queued after segment 0", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "interactive-rtx3090", "--gpu", "1", "--segment", "2m", "--time", "2m"],
      ...["--name", extended, "--detach"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    // --detach returns while the race runs: segment 0 exists once its job has claimed the lease
    const [first] = await waitFor(
      async () => {
        const { segments } = await show(extended);
        return segments.length > 0 ? segments : undefined;
      },
      { what: "segment 0 to claim the lease", timeoutMs: 60_000, intervalMs: 500 },
    );

    const extend = await rv(laptop.root, ["lease", "extend", extended, "--time", "2h", "--json"]);
    expect(extend.exitCode, extend.stderr as string).toBe(0);
    const result = json<{ lease: { request: { totalSeconds: number } }; submitted: { n: number; after: string } }>(
      extend.stdout as string,
    );
    expect(result.lease.request.totalSeconds).toBe(2 * 3600 + 120);
    expect(result.submitted).toMatchObject({ n: 1, after: first?.segment.jobId });

    const jobs = await jobsOf(extended);
    expect(jobs.find((j) => j.n === 1)).toMatchObject({
      state: "PENDING",
      dependency: expect.stringContaining(`afterany:${first?.segment.jobId}`),
    });
    expect((await show(extended)).segments.map((s) => s.segment.n)).toEqual([0, 1]);
  });
});
