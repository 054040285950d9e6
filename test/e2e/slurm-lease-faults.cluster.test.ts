import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// Slurm leases when things go wrong or wide: a 2-node lease, a segment job cancelled under its tasks, and the
// CLI killed while it brings a lease up.
const laptop = makeHome("rv-faults-laptop-");
const cluster = makeHome("rv-faults-cluster-");
const root = join(cluster.root, "root");
// Lease names carry this run's pid: Slurm lists finished jobs for MinJobAge, so an earlier run's jobs linger.
const run = process.pid % 100_000;
const [wide, cut, dead, spent, cpu] = [`wide-${run}`, `cut-${run}`, `dead-${run}`, `spent-${run}`, `cpu-${run}`];
const killed = (i: number) => `k${i}-${run}`;
const leases = [wide, cut, dead, spent, cpu, killed(0), killed(1), killed(2)];

const jobsOf = async (lease: string) =>
  (await execa("squeue", ["-h", "-t", "all", "-o", "%i %j %T"])).stdout
    .split("\n")
    .filter((line) => /^rv-.+-\d+$/.test(line.split(" ")[1] ?? "") && line.split(" ")[1]?.startsWith(`rv-${lease}-`))
    .map((line) => ({ id: line.split(" ")[0] ?? "", name: line.split(" ")[1] ?? "", state: line.split(" ")[2] ?? "" }));

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "ft");
});

afterAll(async () => {
  for (const lease of leases) await rv(laptop.root, ["lease", "release", lease, "--now"]);
  const names = leases.flatMap((l) => [0, 1, 2].map((n) => `rv-${l}-${n}`)).join(",");
  await scancelByName(names.split(","));
  await closeSshMaster(laptop.root, "rv-ft");
  laptop.cleanup();
  cluster.cleanup();
});

async function submit(lease: string, args: string[]): Promise<string> {
  const result = await rv(laptop.root, ["submit", "--json", "--lease", lease, ...args]);
  expect(result.exitCode, result.stderr as string).toBe(0);
  return json<{ tasks: { id: string }[] }>(result.stdout as string).tasks[0]?.id ?? "?";
}

describe("Slurm leases, wide and under faults", () => {
  test("a 2-node lease has a runner on each node, and tasks run on both at once", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a100-80", "--gpu", "2", "--nodes", "2", "--segment", "5m"],
      ...["--name", wide, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    await waitFor(
      async () => {
        const show = await rv(laptop.root, ["lease", "show", wide, "--json"]);
        return (
          json<{ runners: { health: string }[] }>(show.stdout as string).runners.filter((r) => r.health === "ok")
            .length === 2
        );
      },
      { what: "both runners to beat", timeoutMs: 30_000, intervalMs: 500 },
    );
    const out = join(cluster.root, "wide");
    const script = 'echo "$SLURMD_NODENAME $(date +%s)" > "$1"; sleep 6; echo "$(date +%s)" >> "$1"';
    const ids = [await submit(wide, ["--gpus", "1", "--", "sh", "-c", script, "sh", `${out}-a`])];
    ids.push(await submit(wide, ["--gpus", "1", "--", "sh", "-c", script, "sh", `${out}-b`]));
    const wait = await rv(root, ["wait", ...ids, "--timeout", "60s"]);
    expect(wait.exitCode, wait.stderr as string).toBe(0);
    const [a, b] = ["a", "b"].map((x) => readFileSync(`${out}-${x}`, "utf8").trim().split(/\s+/));
    expect(new Set([a?.[0], b?.[0]])).toEqual(new Set(["a100-01", "a100-02"]));
    // both ran at once: each started before the other ended
    expect(Number(a?.[1])).toBeLessThan(Number(b?.[2]));
    expect(Number(b?.[1])).toBeLessThan(Number(a?.[2]));
  });

  test("a CPU-only lease (--gpu 0) runs tasks on a node of a partition without GPUs", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "2", "--segment", "2m"],
      ...["--name", cpu, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const run = await rv(laptop.root, ["run", "--lease", cpu, "--", "sh", "-c", "echo on $SLURMD_NODENAME"]);
    expect(run.exitCode, run.stderr as string).toBe(0);
    expect(run.stdout).toMatch(/on cpu-0[12]\n$/);
  });

  test("scancel of a running segment: its task comes back and finishes in the next segment", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a6000", "--gpu", "1", "--segment", "3m", "--time", "6m"],
      ...["--name", cut, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const marker = join(cluster.root, "cut");
    const task = await submit(cut, [
      "--",
      "sh",
      "-c",
      'echo "$RV_ATTEMPT $SLURM_JOB_ID" >> "$1"; sleep 30',
      "sh",
      marker,
    ]);
    await waitFor(() => readFileSync(marker, "utf8").includes("1 "), { what: "attempt 1 to start", intervalMs: 200 });
    await waitFor(async () => (await jobsOf(cut)).length === 2, { what: "segment 1 to be queued", intervalMs: 200 });
    const first = (await jobsOf(cut)).find((job) => job.state === "RUNNING");
    await execa("scancel", [first?.id ?? "?"]);
    const wait = await rv(root, ["wait", task, "--timeout", "120s"]);
    expect(wait.exitCode, `${wait.stdout}${wait.stderr}`).toBe(0);
    const attempts = readFileSync(marker, "utf8").trim().split("\n");
    expect(attempts.at(-1)?.split(" ")[0]).not.toBe("1");
    expect(attempts.at(-1)?.split(" ")[1]).not.toBe(first?.id);
  });

  test("a lease whose segments were all cancelled gets one replacement with nobody looking, while time is left", {
    timeout: 240_000,
  }, async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-mig", "--gpu", "1", "--segment", "2m", "--time", "10m"],
      ...["--name", dead, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    await waitFor(async () => (await jobsOf(dead)).length === 2, { what: "segment 1 to be queued", intervalMs: 200 });
    // Both at once: each one's watchdog wakes (and segment 0's last act runs), and the segment turn lets only one
    // of them submit segment 2. Nobody looks meanwhile: the wait reads squeue, not rv (rv lease show would itself act
    // once the act is 60 s overdue, as it is when the watchdogs' partition is full with other tests' jobs).
    await execa(
      "scancel",
      (await jobsOf(dead)).filter((j) => /-[01]$/.test(j.name)).map((j) => j.id),
    );
    await waitFor(async () => (await jobsOf(dead)).some((j) => j.name === `rv-${dead}-2`), {
      what: "segment 2 to replace the cancelled ones",
      timeoutMs: 200_000,
      intervalMs: 1000,
    });
    type Shown = {
      segments: { segment: { n: number; after: string | null; submittedBy: string } }[];
      phase: { kind: string };
      supervision: { by: string; did: string }[];
    };
    const shown = await waitFor(
      async () => {
        const show = await rv(laptop.root, ["lease", "show", dead, "--json"]);
        const parsed = json<Shown>(show.stdout as string);
        return parsed.segments.some((s) => s.segment.n === 2) ? parsed : undefined;
      },
      { what: "lease show to list segment 2", intervalMs: 1000 },
    );
    expect(shown.phase.kind).toMatch(/^(renewing|running)$/);
    // Segment 2 may already run and have queued segment 3, its successor, as every running segment does.
    expect(shown.segments.find((s) => s.segment.n === 2)?.segment).toMatchObject({
      n: 2,
      after: null,
      submittedBy: expect.stringMatching(/replacing/),
    });
    // By a watchdog, or by segment 0's own last act (Slurm's TERM leaves its batch shell a few seconds).
    expect(shown.supervision).toContainEqual(
      expect.objectContaining({
        by: expect.stringMatching(/^(watchdog job \d+|segment job \d+, ending,) on /),
        did: expect.stringMatching(/^submitted segment 2 /),
      }),
    );
    expect((await jobsOf(dead)).some((j) => ["RUNNING", "PENDING"].includes(j.state))).toBe(true);
    expect((await jobsOf(dead)).filter((j) => j.name === `rv-${dead}-2`)).toHaveLength(1);
  });

  test("a lease whose last segment is cancelled with its time spent reports failed, and the tasks it strands", async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "standard", "--gpu", "0", "--segment", "2m", "--time", "2m"],
      ...["--name", spent, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const [job] = await jobsOf(spent);
    await execa("scancel", [job?.id ?? "?"]);
    await waitFor(async () => (await jobsOf(spent)).every((j) => j.state === "CANCELLED"), {
      what: "the job to end",
      intervalMs: 200,
    });
    await submit(spent, ["--", "true"]);
    const show = await rv(laptop.root, ["lease", "show", spent, "--json"]);
    expect(json<{ phase: unknown }>(show.stdout as string).phase).toEqual({
      kind: "failed",
      why: `segment 0 (job ${job?.id}) ended CANCELLED with the lease's time spent`,
    });
    const human = await rv(laptop.root, ["lease", "show", spent]);
    expect(human.stdout).toContain(`failed: segment 0 (job ${job?.id}) ended CANCELLED with the lease's time spent`);
    expect(human.stdout).toContain(`1 task will not run unless it gets more time: rv lease extend ${spent} --time 1h`);
  });

  test.each([0, 1, 2])(
    "kill -9 of rv lease up (try %i) leaves no Slurm job without a lease that owns it",
    async (i) => {
      const name = killed(i);
      const child = execa(
        RV_BIN,
        ["lease", "up", "--partition", "gpu-mig", "--gpu", "1", "--segment", "2m", "--name", name],
        { env: { RV_HOME: laptop.root, NO_COLOR: "1" }, reject: false, stdin: "ignore" },
      );
      await new Promise((resolve) => setTimeout(resolve, 150 + i * 250)); // the moment of the kill varies
      child.kill("SIGKILL");
      await child;
      // Whatever reached Slurm is owned: a lease record with a segment naming that job.
      await waitFor(
        async () => {
          const jobs = await jobsOf(name);
          const show = await rv(laptop.root, ["lease", "show", name, "--json"]);
          if (jobs.length === 0) return show.exitCode === 3; // nothing submitted: no lease either
          if (show.exitCode !== 0) return false;
          const owned = json<{ segments: { segment: { jobId: string } }[] }>(show.stdout as string).segments.map(
            (s) => s.segment.jobId,
          );
          return jobs.every((j) => owned.includes(j.id));
        },
        { what: `every job of lease ${name} to be owned by it`, timeoutMs: 20_000, intervalMs: 500 },
      );
    },
  );
});
