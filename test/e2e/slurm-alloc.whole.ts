import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// The allocator on the dev cluster: `rv lease up --gpu 4` with nothing else, while other jobs hold one GPU on
// every a6000 and a100 node, so no node has 4 free and rv races several strategies. Each race ends with
// exactly one job of the lease in squeue, also when the CLI is killed mid-race.
const laptop = makeHome("rv-alloc-laptop-");
const cluster = makeHome("rv-alloc-cluster-");
const root = join(cluster.root, "root");
const LOAD = `rv-alloc-load-${process.pid}`;
const NODES = { "gpu-a6000": ["a6000-01", "a6000-02"], "gpu-a100-80": ["a100-01", "a100-02"] };

interface Shown {
  phase: { kind: string };
  race: { rank: number; strategyId: string; jobId: string | null; state: string }[] | null;
  segments: { segment: { n: number; jobId: string } }[];
}

const jobsOf = async (lease: string) =>
  (await execa("squeue", ["-h", "-n", `rv-${lease}-0`, "-o", "%i %T"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((line) => ({ id: line.split(" ")[0], state: line.split(" ")[1] }));

async function show(lease: string): Promise<Shown> {
  const result = await rv(laptop.root, ["lease", "show", lease, "--json"]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<Shown>(result.stdout as string);
}

/** The race is over: one job of the lease left in squeue, running, and it is the one that claimed the lease. */
async function oneWinnerLeft(lease: string): Promise<Shown> {
  const { jobs, shown } = await waitFor(
    async () => {
      const now = await jobsOf(lease);
      if (now.length !== 1 || now[0]?.state !== "RUNNING") return undefined;
      const seen = await show(lease);
      return seen.segments.length > 0 ? { jobs: now, shown: seen } : undefined;
    },
    { what: `exactly one running job of ${lease}, which claimed it`, timeoutMs: 90_000, intervalMs: 500 },
  );
  const won = (shown.race ?? []).filter((r) => r.state === "won");
  expect(won.map((r) => r.jobId)).toEqual([jobs[0]?.id]);
  expect(shown.segments[0]?.segment).toMatchObject({ n: 0, jobId: jobs[0]?.id });
  return shown;
}

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "alloc");
  for (const [partition, nodes] of Object.entries(NODES)) {
    for (const node of nodes) {
      await execa("sbatch", [
        ...["--parsable", "-J", LOAD, "-o", "/dev/null", "-t", "10", "-p", partition, "-w", node],
        ...["--gres=gpu:1", "--wrap", "sleep 600"],
      ]);
    }
  }
  await waitFor(
    async () =>
      (await execa("squeue", ["-h", "-n", LOAD, "-t", "RUNNING", "-o", "%i"])).stdout.trim().split("\n").length === 4,
    {
      what: "the load to hold one GPU on each node",
      timeoutMs: 30_000,
      intervalMs: 500,
    },
  );
});

afterAll(async () => {
  await scancelByName([LOAD, "rv-four-0", "rv-four-1", "rv-k9-0", "rv-k9-1"]);
  await closeSshMaster(laptop.root, "rv-alloc");
  laptop.cleanup();
  cluster.cleanup();
});

describe("the allocator races strategies on the cluster", () => {
  test("--dry-run explains every strategy, kept or dropped, and submits nothing", async () => {
    const result = await rv(laptop.root, ["lease", "up", "--gpu", "4", "--name", "dry", "--dry-run", "--json"]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    const out = json<{
      decision: { candidates: { strategy: { id: string }; kept: boolean; rank: number | null; why: string }[] };
      racers: { script: string }[];
    }>(result.stdout as string);
    const kept = out.decision.candidates.filter((c) => c.kept);
    expect(kept.length).toBeGreaterThanOrEqual(1);
    expect(kept.length).toBeLessThanOrEqual(6);
    expect(kept.map((c) => c.rank)).toEqual(kept.map((_, i) => i + 1));
    for (const c of out.decision.candidates) expect(c.why.length).toBeGreaterThan(0);
    // no node has 4 free: a 4-GPU job on one node waits, so the race has more than one strategy
    expect(kept.some((c) => /:1x4:/.test(c.strategy.id))).toBe(true);
    for (const r of out.racers) expect(r.script).toContain('"$RV" lease claim --lease "$RV_LEASE" --attempt 1');
    expect(await jobsOf("dry")).toEqual([]);
  });

  test("--gpu 4 --time 8h: the first job to start claims the lease, the others are cancelled", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--gpu", "4", "--time", "8h", "--segment", "5m", "--name", "four", "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const shown = await oneWinnerLeft("four");
    expect(shown.phase.kind).toBe("running");
    expect((shown.race ?? []).filter((r) => r.state !== "won").every((r) => r.state !== "pending")).toBe(true);
    const release = await rv(laptop.root, ["lease", "release", "four", "--now", "--wait"]);
    expect(release.exitCode, release.stderr as string).toBe(0);
    expect(await jobsOf("four")).toEqual([]);
  }, 150_000);

  test("the race survives kill -9 of the CLI: one job wins, no sibling is left", async () => {
    const cli = execa(RV_BIN, ["lease", "up", "--gpu", "4", "--segment", "5m", "--name", "k9"], {
      env: { RV_HOME: laptop.root, NO_COLOR: "1" },
      reject: false,
      stdin: "ignore",
    });
    let stderr = "";
    cli.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await waitFor(() => /racing \d+ strateg/.test(stderr), { what: "the race to be submitted", timeoutMs: 60_000 });
    cli.kill("SIGKILL");
    expect((await cli).signal).toBe("SIGKILL");
    await oneWinnerLeft("k9");
    await rv(laptop.root, ["lease", "release", "k9", "--now", "--wait"]);
    expect(await jobsOf("k9")).toEqual([]);
  }, 150_000);
});
