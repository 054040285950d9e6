import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadConfig } from "../../src/config/index.ts";
import { localPlace, tuiOp } from "../../src/ops/index.ts";
import { ALIVE_JOB_STATES, closeSshMaster, initLaptop, leaseSegmentJobs, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// A lease of parts: `--gpu 2 --parts 2` is two 1-GPU jobs serving one inbox, each with its own segments. Segment
// n is part n % 2: segment 0 renews as segment 2 (after it), segment 1 as segment 3. Part 0 is then cut twice:
// its job alone (its queued successor takes over), then every job it has (its supervisor replaces it). 3-minute
// segments in 12 minutes, so that part 0 has time left after 3 segments, and all of it happens while segment 1
// still runs. About a minute.
const laptop = makeHome("rv-parts-laptop-");
const cluster = makeHome("rv-parts-cluster-");
const root = join(cluster.root, "root");
// Slurm lists finished jobs for MinJobAge: this run's pid keeps an earlier run's jobs apart.
const LEASE = `parts-${process.pid % 100_000}`;

type Job = { id: string; name: string; state: string };
const jobsOf = () => leaseSegmentJobs(LEASE);
const segmentJob = (jobs: Job[], n: number) => jobs.find((j) => j.name === `rv-${LEASE}-${n}`);
const ALIVE = ALIVE_JOB_STATES;

type Shown = {
  runners: { health: string; gpus: string[] }[];
  phase: { kind: string; parts?: { running: number; of: number } };
  parts: { part: number; segment: number; jobId: string; state: string | null; partition?: string | null }[];
  segments: { segment: { n: number; after: string | null } }[];
  supervision: { did: string }[];
};
const show = async (): Promise<Shown> =>
  json<Shown>((await rv(laptop.root, ["lease", "show", LEASE, "--json"])).stdout as string);

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "pt");
});

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
  await scancelByName([0, 1, 2, 3, 4, 5, 6, 7, 8].map((n) => `rv-${LEASE}-${n}`));
  await closeSshMaster(laptop.root, "rv-pt");
  laptop.cleanup();
  cluster.cleanup();
});

async function submit(args: string[]) {
  return rv(laptop.root, ["submit", "--json", "--lease", LEASE, ...args]);
}

describe("a lease of parts on the dev cluster", () => {
  test("--gpu that does not split into the parts is refused before anything is asked of Slurm", async () => {
    const up = await rv(laptop.root, ["lease", "up", "--partition", "gpu-a6000", "--gpu", "3", "--parts", "2"]);
    expect(up.exitCode).toBe(2);
    expect(up.stderr).toContain("--gpu 3 does not split evenly into --parts 2");
    expect(up.stderr).toContain("ask for a multiple of --parts");
  });

  test("a dry run shows each part's first segment, of one part's shape, and submits nothing", async () => {
    const dry = await rv(laptop.root, [
      ...["lease", "up", "--type", "a6000,a100_80", "--gpu", "4", "--parts", "2", "--dry-run", "--json"],
    ]);
    expect(dry.exitCode, dry.stderr as string).toBe(0);
    const shown = json<{ racers: unknown[]; parts: { segment: number; script: string; jobId: string | null }[] }>(
      dry.stdout as string,
    );
    expect(shown.racers).toEqual([]);
    expect(shown.parts.map((p) => [p.segment, p.jobId])).toEqual([
      [0, null],
      [1, null],
    ]);
    // one type, or both partitions with an untyped GPU (as the cluster's load has it: see the spread test below)
    expect(shown.parts[1]?.script).toMatch(/#SBATCH --gres='?gpu:(a6000:|a100_80g:)?2'?\n/);
    expect(shown.parts[1]?.script).toContain('--segment "$RV_SEGMENT"');
    expect(shown.parts[1]?.script).toContain("export RV_SEGMENT=1");
  });

  test("two jobs hold it, tasks run on both at once, a cut part goes on (its successor, else a replacement) while the other runs, extend and release reach every part", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a6000", "--gpu", "2", "--parts", "2", "--segment", "3m", "--time", "12m"],
      ...["--name", LEASE, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const queued = await jobsOf();
    expect([segmentJob(queued, 0), segmentJob(queued, 1)].every(Boolean)).toBe(true);
    await waitFor(async () => (await show()).runners.filter((r) => r.health === "ok").length === 2, {
      what: "a runner in each part",
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    const started = await show();
    expect(started.phase).toMatchObject({ kind: "running", parts: { running: 2, of: 2 } });
    expect(started.parts.map((p) => [p.part, p.segment, p.state])).toEqual([
      [0, 0, "RUNNING"],
      [1, 1, "RUNNING"],
    ]);
    // The TUI's refresh (the same op on the login node) has a row for each part.
    const tui = await localPlace(root, loadConfig(root, process.env), process.env).call(tuiOp, {
      lease: LEASE,
    });
    expect(tui.leases[0]?.parts?.map((p) => [p.part, p.segment, p.state])).toEqual([
      [0, 0, "RUNNING"],
      [1, 1, "RUNNING"],
    ]);

    // Each part holds one GPU: two 1-GPU tasks at once run one in each job.
    const marker = join(cluster.root, "ran");
    const script = 'echo "$SLURM_JOB_ID $(date +%s)" > "$1"; sleep 8; echo "$(date +%s)" >> "$1"';
    const ids: string[] = [];
    for (const x of ["a", "b"]) {
      const sent = await submit(["--gpus", "1", "--", "sh", "-c", script, "sh", `${marker}-${x}`]);
      expect(sent.exitCode, sent.stderr as string).toBe(0);
      ids.push(json<{ tasks: { id: string }[] }>(sent.stdout as string).tasks[0]?.id ?? "?");
    }
    const wait = await rv(root, ["wait", ...ids, "--timeout", "90s"]);
    expect(wait.exitCode, `${wait.stdout}${wait.stderr}`).toBe(0);
    const [a, b] = ["a", "b"].map((x) => readFileSync(`${marker}-${x}`, "utf8").trim().split(/\s+/));
    const jobs = await jobsOf();
    const first = [segmentJob(jobs, 0)?.id, segmentJob(jobs, 1)?.id];
    expect(new Set([a?.[0], b?.[0]])).toEqual(new Set(first));
    expect(Number(a?.[1])).toBeLessThan(Number(b?.[2]));
    expect(Number(b?.[1])).toBeLessThan(Number(a?.[2]));

    // No part holds 2 GPUs: such a task is refused, and nothing is published.
    const big = await rv(laptop.root, ["submit", "--lease", LEASE, "--gpus", "2", "--", "true"]);
    expect(big.exitCode).toBe(9);
    expect(big.stderr).toContain("is 2 parts of 1 GPU each, and a task runs within one part");
    expect(big.stderr).toContain("use fewer --parts");

    // Each part renewed itself: segment 2 after segment 0's job, segment 3 after segment 1's.
    const renewed = await waitFor(
      async () => {
        const shown = await show();
        return shown.segments.length === 4 ? shown : undefined;
      },
      { what: "each part's next segment", timeoutMs: 30_000, intervalMs: 1000 },
    );
    const dependencyOf = (n: number) => renewed.segments.find((s) => s.segment.n === n)?.segment.after;
    expect([dependencyOf(2), dependencyOf(3)]).toEqual(first);

    // scancel part 0's job: part 0 goes on as segment 2, while part 1's job runs on untouched.
    await execa("scancel", [first[0] ?? "?"]);
    const healed = await waitFor(
      async () => {
        const shown = await show();
        const part0 = shown.parts.find((p) => p.part === 0);
        return part0?.segment === 2 && part0.state === "RUNNING" ? shown : undefined;
      },
      { what: "segment 2 to run for part 0", timeoutMs: 60_000, intervalMs: 1000 },
    );
    expect(healed.parts.find((p) => p.part === 1)).toMatchObject({ segment: 1, jobId: first[1], state: "RUNNING" });
    expect(healed.phase).toMatchObject({ kind: "running", parts: { running: 2, of: 2 } });
    const human = await rv(laptop.root, ["lease", "show", LEASE]);
    expect(human.stdout).toContain("running (2 of 2 parts running;");
    expect(human.stdout).toMatch(
      /parts: 2; part 0: segment 2 \(job \d+\) RUNNING; part 1: segment 1 \(job \d+\) RUNNING/,
    );

    // scancel every job of part 0 (segment 2 and its successor 4): nothing of part 0 is left while part 1 runs on,
    // and time is left, so the watchdogs' supervisor replaces part 0 with segment 6, as part 0 and with no dependency.
    const cut = await waitFor(
      async () => {
        const jobs = await jobsOf();
        const ids = [segmentJob(jobs, 2)?.id, segmentJob(jobs, 4)?.id];
        return ids.every(Boolean) ? (ids as string[]) : undefined;
      },
      { what: "segment 2 to renew as segment 4", timeoutMs: 30_000, intervalMs: 1000 },
    );
    await execa("scancel", cut);
    const replaced = await waitFor(
      async () => {
        const shown = await show();
        const part0 = shown.parts.find((p) => p.part === 0);
        return part0?.segment === 6 && part0.state === "RUNNING" ? shown : undefined;
      },
      { what: "segment 6 to replace part 0", timeoutMs: 90_000, intervalMs: 1000 },
    );
    expect(replaced.segments.find((s) => s.segment.n === 6)?.segment.after).toBeNull();
    expect(replaced.supervision.map((e) => e.did)).toContainEqual(
      expect.stringMatching(/^submitted segment 6 \(job \d+\): segment 4 ended CANCELLED/),
    );
    expect(replaced.parts.find((p) => p.part === 1)).toMatchObject({ segment: 1, jobId: first[1], state: "RUNNING" });

    // Extend: part 0's segment 6 was its last (12 minutes asked), so part 0 gets segment 8 after it; part 1's
    // segment 3 renews by itself from the longer total.
    const extend = await rv(laptop.root, ["lease", "extend", LEASE, "--time", "10m", "--json"]);
    expect(extend.exitCode, extend.stderr as string).toBe(0);
    const extended = json<{ submitted: { n: number; after: string } | null; alsoSubmitted: unknown[] }>(
      extend.stdout as string,
    );
    const sixth = replaced.parts.find((p) => p.part === 0)?.jobId;
    expect(extended).toMatchObject({ submitted: { n: 8, after: sixth }, alsoSubmitted: [] });

    const released = await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
    expect(released.exitCode, released.stderr as string).toBe(0);
    await waitFor(async () => (await jobsOf()).every((j) => !ALIVE.has(j.state)), {
      what: "no job of the lease alive",
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
  });
});

// A lease of parts spread over partitions: with every GPU of gpu-a6000 and gpu-a100-80 held by other jobs, no pool
// is idle, the allocator keeps both, and each part is one multi-partition job (`-p gpu-a6000,gpu-a100-80
// --gres=gpu:2`). Two GPUs freed in gpu-a100-80 start one part there; a node freed in gpu-a6000 starts the other
// there. Each part's runner holds its two GPUs, and each part renews in both partitions again. About a minute.
describe("a lease of parts spread over partitions", () => {
  const SPREAD = `spread-${process.pid % 100_000}`;
  const BLOCKER = `rvpt-block-${process.pid % 100_000}`;
  const blockers: { partition: string; id: string }[] = [];

  afterAll(async () => {
    await rv(laptop.root, ["lease", "release", SPREAD, "--now"]);
    await scancelByName([0, 1, 2, 3, 4, 5].map((n) => `rv-${SPREAD}-${n}`));
    await execa("scancel", ["-n", BLOCKER], { reject: false });
  });

  const block = async (partition: string, gres: string) => {
    const sbatch = await execa("sbatch", [
      ...["--parsable", "-J", BLOCKER, "-A", "lab", "-p", partition, `--gres=${gres}`, "-t", "10"],
      ...["-o", "/dev/null", "--wrap", "sleep 600"],
    ]);
    blockers.push({ partition, id: sbatch.stdout.trim().split(";")[0] ?? "?" });
  };
  const showSpread = async () => {
    const shown = json<Shown & { lease: { request: { partition: string } } }>(
      (await rv(laptop.root, ["lease", "show", SPREAD, "--json"])).stdout as string,
    );
    return shown;
  };

  test("each part asks both partitions and starts in whichever frees first; its runner holds its GPUs; it renews in both", async () => {
    for (let i = 0; i < 2; i++) await block("gpu-a6000", "gpu:a6000:4");
    for (let i = 0; i < 4; i++) await block("gpu-a100-80", "gpu:a100_80g:2");
    await waitFor(
      async () => {
        const listed = await execa("squeue", ["-h", "-n", BLOCKER, "-t", "RUNNING", "-o", "%i"]);
        return listed.stdout.split("\n").filter((l) => l.trim()).length === blockers.length;
      },
      { what: "the blockers to hold every a6000 and a100", timeoutMs: 30_000, intervalMs: 500 },
    );

    const up = await rv(laptop.root, [
      ...["lease", "up", "--type", "a6000,a100_80g", "--gpu", "4", "--parts", "2", "--segment", "3m", "--time", "6m"],
      ...["--name", SPREAD, "--detach", "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const queued = await showSpread();
    expect(queued.lease.request.partition.split(",").sort()).toEqual(["gpu-a100-80", "gpu-a6000"]);
    expect(queued.lease.request).toMatchObject({ gpuType: null, gpusPerNode: 2, nodes: 1, parts: 2 });
    const script = readFileSync(join(root, "leases", SPREAD, "segments", "1.sh"), "utf8");
    expect(script).toMatch(/#SBATCH --partition='gpu-(a6000,gpu-a100-80|a100-80,gpu-a6000)'\n/);
    expect(script).toContain("#SBATCH --gres='gpu:2'\n");

    // Two GPUs free in gpu-a100-80: the part first in line starts there; a node of gpu-a6000: the other, there.
    await execa("scancel", [blockers.find((b) => b.partition === "gpu-a100-80")?.id ?? "?"]);
    await waitFor(async () => (await showSpread()).parts.some((p) => p.state === "RUNNING"), {
      what: "a part to run in gpu-a100-80",
      timeoutMs: 60_000,
      intervalMs: 1000,
    });
    await execa("scancel", [blockers.find((b) => b.partition === "gpu-a6000")?.id ?? "?"]);
    const running = await waitFor(
      async () => {
        const shown = await showSpread();
        const live = shown.runners.filter((r) => r.health === "ok");
        return live.length === 2 && shown.parts.every((p) => p.state === "RUNNING") ? shown : undefined;
      },
      { what: "both parts running, a runner in each", timeoutMs: 60_000, intervalMs: 1000 },
    );
    const where = running.parts.map((p) => p.partition);
    expect(new Set(where)).toEqual(new Set(["gpu-a100-80", "gpu-a6000"]));
    // Each runner holds the two GPUs Slurm gave its part, whichever partition that is.
    expect(running.runners.filter((r) => r.health === "ok").map((r) => r.gpus.length)).toEqual([2, 2]);
    const human = await rv(laptop.root, ["lease", "show", SPREAD]);
    expect(human.stdout).toMatch(/part 0: segment 0 \(job \d+\) RUNNING in gpu-a(6000|100-80);/);

    // Each part renewed itself as a job in both partitions again.
    await waitFor(async () => (await showSpread()).segments.length === 4, {
      what: "each part's next segment",
      timeoutMs: 30_000,
      intervalMs: 1000,
    });
    for (const n of [2, 3]) {
      const renewal = readFileSync(join(root, "leases", SPREAD, "segments", `${n}.sh`), "utf8");
      expect(renewal).toMatch(/#SBATCH --partition='gpu-(a6000,gpu-a100-80|a100-80,gpu-a6000)'\n/);
      expect(renewal).toContain("#SBATCH --gres='gpu:2'\n");
    }
  });
});
