import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// A lease heals with nobody looking (docs/healing.md). Each case: a lease with a queue of 30-second tasks, a
// fault to its running segment (scancel, or its node set DOWN), then no rv command at all until the next queued
// task has started in another job: within 90 s. Meanwhile squeue is sampled: no two segments of the lease ever
// run at once (no planned overlap falls in these minutes). After `rv lease release`, nothing of the lease is
// left in squeue, watchdogs included. This file sets a node DOWN: it runs with nothing else on the cluster.
const laptop = makeHome("rv-heal-laptop-");
const cluster = makeHome("rv-heal-cluster-");
const root = join(cluster.root, "root");
const run = process.pid % 100_000;
const HEAL_WITHIN_MS = 90_000;

interface Job {
  id: string;
  name: string;
  state: string;
  node: string;
}

const jobsOf = async (lease: string, states = "PENDING,RUNNING,CONFIGURING,COMPLETING"): Promise<Job[]> =>
  (await execa("squeue", ["-h", "-t", states, "-o", "%i|%j|%T|%N"])).stdout
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [id = "", name = "", state = "", node = ""] = line.split("|");
      return { id, name, state, node };
    })
    .filter((j) => j.name.startsWith(`rv-${lease}-`));

const segmentJobs = (jobs: Job[]) => jobs.filter((j) => /-\d+$/.test(j.name));

/** Samples squeue until stopped; the most segment jobs of the lease seen running at once. */
function sampleRunningSegments(lease: string): { stop: () => Promise<number> } {
  let most = 0;
  let stopped = false;
  const loop = (async () => {
    while (!stopped) {
      const running = segmentJobs(await jobsOf(lease, "RUNNING"));
      most = Math.max(most, running.length);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  })();
  return {
    stop: async () => {
      stopped = true;
      await loop;
      return most;
    },
  };
}

/** A start line per task in `marker`: `<task tag> <job id> <epoch ms>`, written by the task itself. */
function startsIn(marker: string): { tag: string; job: string; atMs: number }[] {
  if (!existsSync(marker)) return [];
  return readFileSync(marker, "utf8")
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => {
      const [tag = "", job = "", at = "0"] = line.split(" ");
      return { tag, job, atMs: Number(at) };
    });
}

async function leaseUp(lease: string, partition: string, renewal: "chain" | "overlap"): Promise<void> {
  const up = await rv(laptop.root, [
    ...["lease", "up", "--partition", partition, "--gpu", "1", "--renewal", renewal],
    ...["--segment", "10m", "--time", "1h", "--name", lease, "--json"],
  ]);
  expect(up.exitCode, up.stderr as string).toBe(0);
}

async function queueTasks(lease: string, marker: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    const script = 'echo "$1 $SLURM_JOB_ID $(date +%s%3N)" >> "$2"; sleep 30';
    const result = await rv(laptop.root, ["submit", "--lease", lease, "--", "sh", "-c", script, "sh", `t${i}`, marker]);
    expect(result.exitCode, result.stderr as string).toBe(0);
  }
}

/**
 * The heal: from the fault, the first task start in a job other than `faulted`, read from the tasks' own
 * marker file (no rv command). Returns how long it took.
 */
async function timeToHeal(marker: string, faulted: string, faultAtMs: number): Promise<number> {
  const healed = await waitFor(() => startsIn(marker).find((s) => s.job !== faulted && s.atMs >= faultAtMs - 1000), {
    what: `a task to start in a job other than ${faulted}`,
    timeoutMs: HEAL_WITHIN_MS,
    intervalMs: 250,
  });
  return healed.atMs - faultAtMs;
}

/** The lease's supervision journal, as `rv lease show --json` reports it. */
async function supervision(lease: string): Promise<{ by: string; did: string }[]> {
  const show = await rv(laptop.root, ["lease", "show", lease, "--json"]);
  expect(show.exitCode, show.stderr as string).toBe(0);
  return json<{ supervision: { by: string; did: string }[] }>(show.stdout as string).supervision;
}

/** `rv lease release`, then nothing of the lease (segments, watchdogs) is queued or running. */
async function releaseLeavesNothing(lease: string): Promise<void> {
  const release = await rv(laptop.root, ["lease", "release", lease, "--now"]);
  expect(release.exitCode, release.stderr as string).toBe(0);
  await waitFor(async () => (await jobsOf(lease)).length === 0, {
    what: `every job of lease ${lease} to leave squeue`,
    timeoutMs: 60_000,
    intervalMs: 1000,
  });
}

const leases = [`heal-o-${run}`, `heal-c-${run}`, `heal-d-${run}`, `heal-k-${run}`];

beforeAll(async () => {
  assertBuilt();
  await execa("mkdir", ["-p", join(cluster.root, "work")]);
  await initLaptop(laptop.root, root, "hl");
});

afterAll(async () => {
  for (const lease of leases) await rv(laptop.root, ["lease", "release", lease, "--now"]);
  await scancelByName(leases.flatMap((l) => [0, 1, 2, 3].map((n) => `rv-${l}-${n}`)));
  await closeSshMaster(laptop.root, "rv-hl");
  laptop.cleanup();
  cluster.cleanup();
});

/**
 * One case: a lease with 3 queued 30-second tasks, the first running and segment 1 queued; then `fault` to the
 * running segment's job and no rv command until the next task starts in another job. Checks the heal time and
 * that no two segments ran at once; returns the supervision journal after.
 */
async function faultAndHeal(
  c: { lease: string; partition: string; renewal: "chain" | "overlap"; what: string },
  fault: (job: Job) => Promise<void>,
): Promise<{ by: string; did: string }[]> {
  const marker = join(cluster.root, "work", c.lease);
  await leaseUp(c.lease, c.partition, c.renewal);
  await queueTasks(c.lease, marker, 3);
  await waitFor(() => startsIn(marker).length > 0, { what: "the first task to start", intervalMs: 250 });
  await waitFor(async () => segmentJobs(await jobsOf(c.lease)).length === 2, { what: "segment 1 to be queued" });
  const firstJob = startsIn(marker)[0]?.job ?? "?";
  const running = segmentJobs(await jobsOf(c.lease, "RUNNING")).find((j) => j.id === firstJob);
  expect(running, `segment job ${firstJob} to be running`).toBeDefined();
  const sampler = sampleRunningSegments(c.lease);
  const faultAt = Date.now();
  await fault(running as Job);
  const healMs = await timeToHeal(marker, firstJob, faultAt);
  console.log(`time to heal: ${c.what}: ${(healMs / 1000).toFixed(1)} s`);
  expect(await sampler.stop()).toBeLessThanOrEqual(1);
  return supervision(c.lease);
}

describe("a lease heals with nobody looking", () => {
  test("scancel of a running overlap segment: the waiting successor is told to begin now", async () => {
    const lease = leases[0] as string;
    const what = "overlap segment scancelled";
    const acts = await faultAndHeal({ lease, partition: "gpu-a100-80", renewal: "overlap", what }, async (job) => {
      await execa("scancel", [job.id]);
    });
    // Whichever came first: the cancelled segment's own last act (Slurm's TERM leaves its batch shell a few
    // seconds), or its watchdog; the watchdog wakes either way.
    expect(acts).toContainEqual(
      expect.objectContaining({
        by: expect.stringMatching(/^(watchdog job \d+|segment job \d+, ending,) on /),
        did: expect.stringMatching(/^told segment 1 \(job \d+\) to begin now/),
      }),
    );
    await waitFor(async () => (await supervision(lease)).some((e) => /^watchdog job/.test(e.by)), {
      what: "the watchdog of segment 0 to have woken",
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
    // For people: the segments with their watchdogs, and what the supervisor did, when and who.
    const shown = await rv(laptop.root, ["lease", "show", lease]);
    expect(shown.stdout).toMatch(/watchdog/);
    expect(shown.stdout).toMatch(
      /supervision:\n(.*\n)*\s+\d{4}-\d\d-\d\d \d\d:\d\d:\d\d {2}told segment 1 \(job \d+\) to begin now/,
    );
    // By hand, from the laptop: one more pass, with nothing left to do.
    const again = await rv(laptop.root, ["lease", "supervise", lease]);
    expect(again.exitCode, again.stderr as string).toBe(0);
    expect(again.stdout).toMatch(/^heal-o-\d+\trunning \(segment 1, job \d+\)\n$/);
    await releaseLeavesNothing(lease);
  }, 240_000);

  test("scancel of a running chain segment: the successor starts, and the watchdog finds nothing to do", async () => {
    const lease = leases[1] as string;
    const what = "chain segment scancelled";
    await faultAndHeal({ lease, partition: "gpu-mig", renewal: "chain", what }, async (job) => {
      await execa("scancel", [job.id]);
    });
    await waitFor(
      async () => (await supervision(lease)).some((e) => /^watchdog job/.test(e.by) && /^woke/.test(e.did)),
      { what: "the watchdog of segment 0 to have woken", timeoutMs: 30_000, intervalMs: 1000 },
    );
    await releaseLeavesNothing(lease);
  }, 240_000);

  test("the lease's node set DOWN: the segment fails, and the lease goes on in its successor", async () => {
    const lease = leases[2] as string;
    let faulted: Job | undefined;
    const what = "node set DOWN";
    await faultAndHeal({ lease, partition: "gpu-a6000", renewal: "overlap", what }, async (job) => {
      faulted = job;
      await execa("scontrol", ["update", `NodeName=${job.node}`, "State=DOWN", "Reason=rv-heal-test"]);
    }).finally(async () => {
      if (faulted) await execa("scontrol", ["update", `NodeName=${faulted.node}`, "State=RESUME"], { reject: false });
    });
    const ended = await execa("sacct", ["-n", "-X", "-P", "-j", faulted?.id ?? "?", "-o", "State"]);
    expect(ended.stdout.trim()).toBe("NODE_FAIL");
    await releaseLeavesNothing(lease);
  }, 240_000);

  test("a segment whose batch shell is killed (no last act, as on a lost node): its watchdog alone heals it", async () => {
    const lease = leases[3] as string;
    const what = "batch shell killed (watchdog alone)";
    const acts = await faultAndHeal(
      { lease, partition: "interactive-rtx3090", renewal: "overlap", what },
      async (job) => {
        // Every node of the dev cluster is this host: the batch shell is found by its spooled script's path.
        const shell = await execa("pgrep", ["-f", `job${job.id.padStart(5, "0")}/slurm_script`]);
        await execa("kill", ["-KILL", ...shell.stdout.split("\n").filter(Boolean)]);
      },
    );
    expect(acts).toContainEqual(
      expect.objectContaining({
        by: expect.stringMatching(/^watchdog job \d+ on cpu-0[12]$/),
        did: expect.stringMatching(/^told segment 1 \(job \d+\) to begin now/),
      }),
    );
    expect(acts.some((e) => /^segment job/.test(e.by))).toBe(false);
    await releaseLeavesNothing(lease);
  }, 240_000);
});
