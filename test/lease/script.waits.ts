import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { renderSegmentScript, type SegmentScriptInput } from "../../src/lease/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { type FakeCall, readCalls, segmentEndFile, writeFakeRv } from "./script-harness.ts";

// Segment scripts on the real dev cluster, with a fake rv that records its calls (every "node" is this host,
// so the records and RV_HOME under /tmp are shared, as the real root is). Light: the fake runner sleeps, and
// drains when `rv lease end-segment` (which the batch shell runs on USR1) leaves its segment's control file.
const work = mkdtempSync(join(tmpdir(), "rv-segment-cluster-"));
const submitted: string[] = [];

afterAll(async () => {
  if (submitted.length) await execa("scancel", submitted, { reject: false });
  rmSync(work, { recursive: true, force: true });
});

type Overrides = Omit<Partial<SegmentScriptInput>, "rv" | "root" | "output" | "jobName">;

async function submitSegment(name: string, overrides: Overrides) {
  const dir = join(work, name);
  const records = join(dir, "records");
  const rv = join(dir, "bin", "rv");
  // sbatch reads --output from an #SBATCH line with its own tokenizer: make it chew on quotes, $, # and spaces.
  const logDir = join(dir, `log dir 'q' "dq" $HOME #h`);
  mkdirSync(join(dir, "bin"), { recursive: true });
  mkdirSync(logDir, { recursive: true });
  writeFakeRv(rv, records, { runnerSeconds: 150 });
  const output = join(logDir, "segment.out");
  const script = renderSegmentScript({
    lease: `lease-${name}`,
    segment: 0,
    root: join(dir, "rv home"),
    rv,
    partition: "gpu-a6000",
    gpusPerNode: 1,
    gpuType: null,
    nodes: 1,
    cpusPerNode: null,
    memPerNode: null,
    wallSeconds: 120,
    account: null,
    jobName: `rv-script-test-${process.pid}-${name}`,
    output,
    renew: false,
    ...overrides,
  });
  const { stdout } = await execa("sbatch", ["--parsable"], { input: script, cwd: dir });
  const jobId = stdout.trim().split(";")[0] ?? "";
  submitted.push(jobId);
  return { jobId, records, output, root: join(dir, "rv home"), lease: `lease-${name}` };
}

async function squeueField(jobId: string, format: string): Promise<string> {
  const { stdout } = await execa("squeue", ["-h", "-t", "all", "-j", jobId, "-o", format], {
    env: { SLURM_TIME_FORMAT: "%s" },
  });
  return stdout.trim();
}

async function runnersStarted(records: string, count: number): Promise<FakeCall[]> {
  return waitFor(
    () => {
      const runners = callsOf(records, "runner");
      return runners.length === count ? runners : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: `${count} runner(s) to start` },
  );
}

async function completed(jobId: string, timeoutMs: number): Promise<void> {
  await waitFor(async () => (await squeueField(jobId, "%T")) === "COMPLETED", {
    timeoutMs,
    intervalMs: 500,
    what: `job ${jobId} to complete`,
  });
}

const gpuList = (ids: string | undefined) => (ids ? ids.split(",") : []);
const callsOf = (records: string, command: string) => readCalls(records).filter((c) => c.command === command);

describe("a lease segment on the real cluster", () => {
  it("runs one runner per node of a 2-node segment, and USR1 to the batch shell ends both, with no signal", async () => {
    const job = await submitSegment("two-nodes", {
      partition: "gpu-a100-80",
      nodes: 2,
      timeMinSeconds: 60,
    });
    const runners = await runnersStarted(job.records, 2);
    expect(runners.map((r) => r.env.SLURMD_NODENAME).sort()).toEqual(["a100-01", "a100-02"]);
    for (const runner of runners) {
      expect(gpuList(runner.env.CUDA_VISIBLE_DEVICES)).toHaveLength(1);
      expect(runner.env.SLURM_JOB_ID).toBe(job.jobId);
      expect(runner.env.RV_SEGMENT_END).toBe(await squeueField(job.jobId, "%e"));
    }
    // What --signal=B:USR1 does at the end: only the batch shell gets it, and its trap ends the segment through
    // the shared filesystem, where the runners of both nodes see it.
    await execa("scancel", ["--batch", "--signal=USR1", job.jobId]);
    await completed(job.jobId, 30_000);
    expect(callsOf(job.records, "lease-end-segment").map((c) => c.argv)).toEqual([
      ["lease", "end-segment", "--lease", "lease-two-nodes", "--segment", "0"],
    ]);
    expect(existsSync(segmentEndFile(job.root, job.lease, 0))).toBe(true);
    const after = callsOf(job.records, "runner");
    expect(after.map((r) => r.env.SLURMD_NODENAME).sort()).toEqual(["a100-01", "a100-02"]);
    for (const runner of after) {
      expect(runner.drainedAt, `the runner on ${runner.env.SLURMD_NODENAME} drained`).toBeDefined();
      expect(runner.signals, `no signal reached the runner on ${runner.env.SLURMD_NODENAME}`).toEqual([]);
    }
  });

  it("holds 2 a6000 GPUs on one node, renews once, ends the segment on Slurm's USR1, and ends by itself", async () => {
    const lead = 30;
    const job = await submitSegment("one-node", {
      gpusPerNode: 2,
      gpuType: "a6000",
      cpusPerNode: 2,
      memPerNode: "4G",
      account: "lab",
      signalLeadSeconds: lead,
      renew: true,
    });
    const [runner] = await runnersStarted(job.records, 1);
    expect(runner?.env.SLURMD_NODENAME).toMatch(/^a6000-0[12]$/);
    expect(gpuList(runner?.env.CUDA_VISIBLE_DEVICES)).toHaveLength(2);
    expect(gpuList(runner?.env.SLURM_JOB_GPUS)).toHaveLength(2);
    const end = Number(await squeueField(job.jobId, "%e"));
    expect(runner?.argv).toEqual(["runner", "--lease", "lease-one-node", "--segment", "0", "--segment-end", `${end}`]);

    await waitFor(() => callsOf(job.records, "lease-renew").length > 0, { what: "lease renew" });

    await completed(job.jobId, 150_000);
    const renews = callsOf(job.records, "lease-renew");
    expect(renews.map((c) => c.argv)).toEqual([
      ["lease", "renew", "--lease", "lease-one-node", "--after", job.jobId, "--segment-end", `${end}`],
    ]);
    const ends = callsOf(job.records, "lease-end-segment");
    expect(ends.map((c) => c.argv)).toEqual([["lease", "end-segment", "--lease", "lease-one-node", "--segment", "0"]]);
    // Slurm sends USR1 between `lead` and `lead` + 60 s before the end (a couple of seconds of slack).
    const before = end - (ends[0]?.startedAt ?? 0);
    expect(before).toBeGreaterThanOrEqual(lead - 2);
    expect(before).toBeLessThanOrEqual(lead + 62);
    const [drained] = callsOf(job.records, "runner");
    expect(drained?.signals).toEqual([]);
    expect(drained?.drainedAt).toBeGreaterThanOrEqual(ends[0]?.startedAt ?? Number.POSITIVE_INFINITY);
    expect(drained?.drainedAt).toBeLessThan(end);
    const log = readFileSync(job.output, "utf8");
    expect(log.match(/got SIGUSR1/g)).toHaveLength(1);
    expect(log).not.toContain("got SIGTERM");
    expect(log).toContain("runner step ended with status 0");
  }, 200_000);
});
