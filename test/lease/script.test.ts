import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, describe, expect, it } from "vitest";
import { RvError } from "../../src/errors.ts";
import { renderSegmentScript, type SegmentScriptInput } from "../../src/lease/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { type FakeRvOptions, readCalls, segmentEndFile, writeFakeRv, writeSlurmStubs } from "./script-harness.ts";

const typical: SegmentScriptInput = {
  lease: "exp1",
  segment: 3,
  root: "/scratch/ada/.rv",
  rv: "/scratch/ada/.rv/bin/rv-0.1.0",
  partition: "gpu-a6000",
  gpusPerNode: 4,
  gpuType: "a6000",
  nodes: 1,
  cpusPerNode: 16,
  memPerNode: "64G",
  wallSeconds: 4 * 3600,
  account: "lab",
  jobName: "rv-exp1",
  output: "/scratch/ada/.rv/leases/exp1/segments/3.out",
  renew: false,
};

function directivesOf(script: string): string[] {
  return script
    .split("\n")
    .filter((line) => line.startsWith("#SBATCH "))
    .map((line) => line.slice("#SBATCH ".length));
}

function usageError(input: SegmentScriptInput): RvError {
  try {
    renderSegmentScript(input);
  } catch (error) {
    if (error instanceof RvError) return error;
    throw error;
  }
  throw new Error(`rendered, but should have been refused: ${JSON.stringify(input)}`);
}

describe("renderSegmentScript: directives", () => {
  it("asks for 1 node with 4 a6000 GPUs, its CPUs and memory, and the USR1 warning", () => {
    expect(directivesOf(renderSegmentScript(typical))).toEqual([
      "--job-name='rv-exp1'",
      "--partition='gpu-a6000'",
      "--account='lab'",
      "--nodes=1",
      "--ntasks-per-node=1",
      "--gres='gpu:a6000:4'",
      "--cpus-per-task=16",
      "--mem='64G'",
      "--time=04:00:00",
      "--output='/scratch/ada/.rv/leases/exp1/segments/3.out'",
      "--open-mode=append",
      "--signal=B:USR1@90",
      "--no-requeue",
    ]);
  });

  it("asks for 2 nodes with 2 GPUs of any type each, leaving CPUs and memory to Slurm", () => {
    const d = directivesOf(
      renderSegmentScript({ ...typical, nodes: 2, gpusPerNode: 2, gpuType: null, cpusPerNode: null, memPerNode: null }),
    );
    expect(d).toContain("--nodes=2");
    expect(d).toContain("--gres='gpu:2'");
    expect(d.filter((x) => x.startsWith("--cpus-per-task") || x.startsWith("--mem"))).toEqual([]);
  });

  it("writes --time and --time-min as D-HH:MM:SS, rounded up to whole minutes as Slurm would", () => {
    const d = directivesOf(renderSegmentScript({ ...typical, wallSeconds: 36 * 3600, timeMinSeconds: 90 }));
    expect(d).toContain("--time=1-12:00:00");
    expect(d).toContain("--time-min=00:02:00");
  });

  it("leaves --account out when there is none, and takes another signal lead", () => {
    const d = directivesOf(renderSegmentScript({ ...typical, account: null, signalLeadSeconds: 30 }));
    expect(d.some((x) => x.startsWith("--account"))).toBe(false);
    expect(d).toContain("--signal=B:USR1@30");
  });

  it("puts every directive before the first command, where sbatch stops reading them", () => {
    const lines = renderSegmentScript(typical).split("\n");
    expect(lines[0]).toBe("#!/bin/bash");
    const firstCommand = lines.findIndex((line, i) => i > 0 && !line.startsWith("#"));
    expect(lines.slice(firstCommand).some((line) => line.startsWith("#SBATCH"))).toBe(false);
  });

  it("a CPU-only lease asks for no GPU at all", () => {
    const directives = directivesOf(renderSegmentScript({ ...typical, gpusPerNode: 0, gpuType: null }));
    expect(directives.some((d) => d.startsWith("--gres"))).toBe(false);
    expect(directives).toContain("--cpus-per-task=16");
  });

  it("asks rv to renew the lease only when told to", () => {
    expect(renderSegmentScript(typical)).not.toContain("lease renew");
    expect(renderSegmentScript({ ...typical, renew: true })).toContain(
      '"$RV" lease renew --lease "$RV_LEASE" --after "$SLURM_JOB_ID" --segment-end "$RV_SEGMENT_END"',
    );
  });
});

describe("renderSegmentScript: refuses what sbatch or bash would read differently", () => {
  const hostile: [string, Partial<SegmentScriptInput>][] = [
    ["partition", { partition: "gpu a6000" }],
    ["partition", { partition: "-p" }],
    ["partition", { partition: "gpu-a6000," }],
    ["partition", { partition: "gpu-a6000, gpu-a100-80" }],
    ["account", { account: "lab\n#SBATCH --mem=1T" }],
    ["account", { account: "lab;id" }],
    ["jobName", { jobName: "it's" }],
    ["gpuType", { gpuType: "a6000:2" }],
    ["lease", { lease: "a b" }],
    ["lease", { lease: "$(id)" }],
    ["root", { root: "relative/.rv" }],
    ["root", { root: "/scratch/\nrm -rf ~" }],
    ["rv", { rv: "/bin/rv\r" }],
    ["output", { output: "/logs/%j.out" }],
    ["output", { output: "/logs/a\\b.out" }],
    ["output", { output: "/logs/a\n#SBATCH --x.out" }],
    ["memPerNode", { memPerNode: "32 G" }],
    ["gpusPerNode", { gpusPerNode: -1 }],
    ["gpuType", { gpusPerNode: 0 }],
    ["timeMinSeconds", { timeMinSeconds: typical.wallSeconds + 60 }],
    ["signalLeadSeconds", { signalLeadSeconds: 70_000 }],
  ];
  it.each(hostile)("%s: %j", (field, change) => {
    const error = usageError({ ...typical, ...change });
    expect(error.code).toBe("usage");
    expect(error.message).toContain(`: ${field}: `);
  });
});

// Run the body under plain bash: srun, squeue and scancel are stubs, rv is a fake that records what it got. The
// script runs as one process here, so a signal to it reaches the batch shell alone, as B:USR1 does under Slurm.
const work = mkdtempSync(join(tmpdir(), "rv-script-test-"));
const stubs = join(work, "stubs");
afterAll(() => rmSync(work, { recursive: true, force: true }));

let runs = 0;
/** A fresh directory for one run: the fake rv at `<rvDirName>/rv` inside it, and its records. */
function prepareRun(fake: Partial<FakeRvOptions> = {}, rvDirName = "bin") {
  const dir = join(work, `run-${runs++}`);
  const records = join(dir, "records");
  const rv = join(dir, rvDirName, "rv");
  mkdirSync(join(dir, rvDirName), { recursive: true });
  writeFakeRv(rv, records, { runnerSeconds: 0, ...fake });
  writeSlurmStubs(stubs, records);
  return { dir, records, rv };
}

/** Runs the script; with `log`, its stdout goes to that file as it comes (as to the segment's --output). */
function runScript(script: string, dir: string, env: Record<string, string> = {}, log?: string) {
  const file = join(dir, "segment.sh");
  writeFileSync(file, script);
  return execa("bash", [file], {
    env: { PATH: `${stubs}:${process.env.PATH}`, SLURM_JOB_ID: "4242", ...env },
    extendEnv: false,
    reject: false,
    ...(log === undefined ? {} : { stdout: { file: log } }),
  });
}

describe("renderSegmentScript: the body under bash", () => {
  it("starts the runner with the lease, segment and end, and exits with its status", async () => {
    const run = prepareRun({ runnerStatus: 3 });
    const script = renderSegmentScript({ ...typical, rv: run.rv });
    const result = await runScript(script, run.dir, { RV_STUB_SQUEUE_END: "1800000000" });
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain("runner step ended with status 3");
    const runner = readCalls(run.records).find((c) => c.command === "runner");
    expect(runner?.argv).toEqual(["runner", "--lease", "exp1", "--segment", "3", "--segment-end", "1800000000"]);
    expect(runner?.env).toMatchObject({
      RV_HOME: "/scratch/ada/.rv",
      RV_LEASE: "exp1",
      RV_SEGMENT: "3",
      RV_SEGMENT_END: "1800000000",
    });
  });

  it("passes the lease's idle limit on to the runner", async () => {
    const run = prepareRun();
    const script = renderSegmentScript({ ...typical, rv: run.rv, idleReleaseSeconds: 1200 });
    await runScript(script, run.dir, { RV_STUB_SQUEUE_END: "1800000000" });
    expect(readCalls(run.records).find((c) => c.command === "runner")?.argv).toEqual([
      ...["runner", "--lease", "exp1", "--segment", "3", "--segment-end", "1800000000"],
      ...["--idle-release", "1200"],
    ]);
  });

  it("falls back to start + walltime when squeue gives no end", async () => {
    const run = prepareRun();
    const before = Math.floor(Date.now() / 1000);
    await runScript(renderSegmentScript({ ...typical, rv: run.rv, wallSeconds: 90 }), run.dir);
    const end = Number(readCalls(run.records).find((c) => c.command === "runner")?.env.RV_SEGMENT_END);
    expect(end - before).toBeGreaterThanOrEqual(120);
    expect(end - before).toBeLessThanOrEqual(122);
  });

  it("tells the runner which segment it takes over from (overlap renewal)", async () => {
    const run = prepareRun();
    const script = renderSegmentScript({ ...typical, rv: run.rv, takeOverFrom: 2 });
    await runScript(script, run.dir, { RV_STUB_SQUEUE_END: "1800000000" });
    expect(readCalls(run.records).find((c) => c.command === "runner")?.argv).toEqual([
      ...["runner", "--lease", "exp1", "--segment", "3", "--segment-end", "1800000000"],
      ...["--take-over-from", "2"],
    ]);
  });

  it("a racing job claims the lease first, with its attempt, rank, job id and granted end", async () => {
    const run = prepareRun();
    const script = renderSegmentScript({ ...typical, rv: run.rv, renew: true, race: { attempt: 2, rank: 3 } });
    await runScript(script, run.dir, { RV_STUB_SQUEUE_END: "1800000000" });
    const calls = readCalls(run.records);
    const claim = calls.find((c) => c.command === "lease-claim");
    expect(claim?.argv).toEqual([
      ...["lease", "claim", "--lease", "exp1", "--attempt", "2", "--rank", "3"],
      ...["--job", "4242", "--segment-end", "1800000000"],
    ]);
    const others = calls.filter((c) => c.command !== "lease-claim");
    expect(others.map((c) => c.command).sort()).toEqual(["lease-renew", "lease-supervise", "runner"]);
    expect(Math.min(...others.map((c) => c.startedAt))).toBeGreaterThanOrEqual(claim?.startedAt ?? Infinity);
  });

  it("a job that lost the race exits 0 at once: no renewal, no runner", async () => {
    const run = prepareRun({ claimStatus: 3 });
    const script = renderSegmentScript({ ...typical, rv: run.rv, renew: true, race: { attempt: 1, rank: 2 } });
    const result = await runScript(script, run.dir, { RV_STUB_SQUEUE_END: "1800000000" });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("this job does not hold the lease (rv lease claim: status 3): exiting");
    expect(readCalls(run.records).map((c) => c.command)).toEqual(["lease-claim"]);
  });

  it("runs lease renew once with the job id and the granted end", async () => {
    const run = prepareRun();
    await runScript(renderSegmentScript({ ...typical, rv: run.rv, renew: true }), run.dir, {
      RV_STUB_SQUEUE_END: "1800000000",
    });
    const renew = await waitFor(() => readCalls(run.records).find((c) => c.command === "lease-renew"));
    expect(renew.argv).toEqual(["lease", "renew", "--lease", "exp1", "--after", "4242", "--segment-end", "1800000000"]);
    expect(readCalls(run.records).filter((c) => c.command === "lease-renew")).toHaveLength(1);
  });

  it("supervises the lease as its last act, after the runner, with its own job counted as ended", async () => {
    const run = prepareRun({ runnerStatus: 3, superviseStatus: 1 });
    const result = await runScript(renderSegmentScript({ ...typical, rv: run.rv }), run.dir, {
      RV_STUB_SQUEUE_END: "1800000000",
    });
    // A failed supervision is logged; the job still ends with the runner's status.
    expect(result.exitCode).toBe(3);
    expect(result.stdout).toContain("rv lease supervise failed with status 1");
    const calls = readCalls(run.records);
    const supervise = calls.find((c) => c.command === "lease-supervise");
    const runner = calls.find((c) => c.command === "runner");
    expect(supervise?.argv).toEqual(["lease", "supervise", "exp1", "--ending", "4242"]);
    expect(supervise?.env).toMatchObject({ RV_HOME: "/scratch/ada/.rv" });
    expect(supervise?.startedAt).toBeGreaterThanOrEqual(runner?.startedAt ?? Infinity);
  });

  it("logs a failed renewal, and the segment goes on to the runner's own status", async () => {
    const run = prepareRun({ renewStatus: 5, runnerSeconds: 1 });
    const result = await runScript(renderSegmentScript({ ...typical, rv: run.rv, renew: true }), run.dir);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("rv lease renew failed with status 5");
  });

  it("on USR1 asks rv to end the segment, and exits with the status of the runner that then drains", async () => {
    const run = prepareRun({ runnerSeconds: 20, drainStatus: 7 });
    const root = join(run.dir, "rv home");
    const child = runScript(renderSegmentScript({ ...typical, rv: run.rv, root }), run.dir);
    await waitFor(() => readCalls(run.records).length === 1, { what: "the fake runner to start" });
    child.kill("SIGUSR1");
    const result = await child;
    expect(result.exitCode, result.stderr).toBe(7);
    expect(result.stdout).toMatch(/got SIGUSR1: telling the runners[\s\S]*runner step ended with status 7/);
    const calls = readCalls(run.records);
    expect(calls.filter((c) => c.command === "lease-end-segment").map((c) => c.argv)).toEqual([
      ["lease", "end-segment", "--lease", "exp1", "--segment", "3"],
    ]);
    expect(calls.find((c) => c.command === "lease-end-segment")?.env).toMatchObject({ RV_HOME: root });
    expect(existsSync(segmentEndFile(root, "exp1", 3))).toBe(true);
    const runner = calls.find((c) => c.command === "runner");
    expect(runner?.drainedAt).toBeDefined();
    expect(runner?.signals).toEqual([]);
    expect(existsSync(join(run.records, "scancel.calls"))).toBe(false);
  });

  it("only logs a TERM: the runner gets no signal and no end, and the shell waits on for it", async () => {
    const run = prepareRun({ runnerSeconds: 20, drainStatus: 7 });
    const root = join(run.dir, "rv home");
    const log = join(run.dir, "segment.out");
    const child = runScript(renderSegmentScript({ ...typical, rv: run.rv, root }), run.dir, {}, log);
    const logged = () => (existsSync(log) ? readFileSync(log, "utf8") : "");
    await waitFor(() => readCalls(run.records).length === 1, { what: "the fake runner to start" });
    child.kill("SIGTERM");
    await waitFor(() => logged().includes("got SIGTERM: the job is ending"), { what: "the TERM to be logged" });
    // Longer than the runner's poll: had anything ended the segment, it would have drained by now.
    await new Promise((resolve) => setTimeout(resolve, 600));
    expect(child.exitCode).toBeNull();
    expect(readCalls(run.records)).toMatchObject([{ command: "runner", signals: [] }]);
    expect(readCalls(run.records)[0]?.drainedAt).toBeUndefined();
    expect(existsSync(join(root, "leases"))).toBe(false);
    // The shell still holds its USR1 trap, and still exits with the runner's status.
    child.kill("SIGUSR1");
    expect((await child).exitCode).toBe(7);
    expect(logged()).toMatch(/got SIGTERM[\s\S]*got SIGUSR1[\s\S]*runner step ended with status 7/);
    expect(readCalls(run.records).filter((c) => c.command === "lease-end-segment")).toHaveLength(1);
    expect(existsSync(join(run.records, "scancel.calls"))).toBe(false);
  });

  it("logs a failed end-segment, and the runner goes on to its own end and status", async () => {
    const run = prepareRun({ runnerSeconds: 2, runnerStatus: 4, endSegmentStatus: 6 });
    const root = join(run.dir, "rv home");
    const child = runScript(renderSegmentScript({ ...typical, rv: run.rv, root }), run.dir);
    await waitFor(() => readCalls(run.records).length === 1, { what: "the fake runner to start" });
    child.kill("SIGUSR1");
    const result = await child;
    expect(result.exitCode).toBe(4);
    expect(result.stdout).toMatch(/rv lease end-segment failed with status 6[\s\S]*runner step ended with status 4/);
    const runner = readCalls(run.records).find((c) => c.command === "runner");
    expect(runner?.drainedAt).toBeUndefined();
    expect(runner?.signals).toEqual([]);
  });

  it("parses under bash -n, and never sends a signal through Slurm", async () => {
    for (const renew of [false, true]) {
      const script = renderSegmentScript({ ...typical, renew });
      expect((await execa("bash", ["-n"], { input: script, reject: false })).exitCode).toBe(0);
      expect(script).not.toContain("scancel");
      expect(script).not.toMatch(/\bkill -(USR1|TERM|s)/);
      expect(script).toContain('"$RV" lease end-segment --lease "$RV_LEASE" --segment "$RV_SEGMENT"');
    }
  });
});

/** A small seeded generator, so that a failing case can be replayed. */
function randomSource(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)] as T;
  const text = (alphabet: readonly string[], max: number) =>
    Array.from({ length: 1 + Math.floor(next() * max) }, () => pick(alphabet)).join("");
  return { next, pick, text };
}

const shellMeta = ["$", "`", "'", '"', ";", "&", "|", "<", ">", "(", ")", "{", "}", "*", "?", "[", "]", "~", "!"];
const sbatchMeta = ["#", " ", "\\", "%", "=", ",", ":", "$(id)", "'\\''", "$HOME", "é", "-"];
const plain = ["a", "b", "0", ".", "_", "-"];
const control = ["\n", "\r", "\t"];

describe("renderSegmentScript: fuzzed strings", () => {
  it("either refuses a string, naming its field, or delivers it to the runner byte for byte", async () => {
    const random = randomSource(20261123);
    const outcomes = { rendered: 0, refused: 0 };
    for (let n = 0; n < 40; n++) {
      const pathAlphabet =
        random.next() < 0.2 ? [...shellMeta, ...sbatchMeta, ...control] : [...shellMeta, ...sbatchMeta];
      const nameAlphabet = random.next() < 0.5 ? plain : [...plain, ...shellMeta, ...sbatchMeta, ...control];
      const rvDirName = random.text(pathAlphabet, 12);
      const input: SegmentScriptInput = {
        ...typical,
        lease: `L${random.text(nameAlphabet, 8)}`,
        account: random.next() < 0.5 ? null : `a${random.text(nameAlphabet, 8)}`,
        root: `/scratch/${random.text(pathAlphabet, 12)}`,
        output: `/logs/${random.text(pathAlphabet, 12)}.out`,
        renew: true,
      };
      const run = prepareRun({}, rvDirName);
      const withBinary = { ...input, rv: run.rv };
      let script: string;
      try {
        script = renderSegmentScript(withBinary);
      } catch (error) {
        outcomes.refused++;
        expect(error).toBeInstanceOf(RvError);
        expect((error as RvError).code).toBe("usage");
        expect((error as RvError).message).toMatch(/: (lease|account|root|output|rv): /);
        continue;
      }
      outcomes.rendered++;
      expect((await execa("bash", ["-n"], { input: script, reject: false })).exitCode).toBe(0);
      expect(directivesOf(script).find((d) => d.startsWith("--account"))).toBe(
        input.account === null ? undefined : `--account='${input.account}'`,
      );
      const result = await runScript(script, run.dir);
      expect(result.exitCode, result.stderr).toBe(0);
      const calls = await waitFor(() => {
        const recorded = readCalls(run.records);
        return recorded.length === 3 ? recorded : undefined;
      });
      const runner = calls.find((c) => c.command === "runner");
      const renew = calls.find((c) => c.command === "lease-renew");
      expect(runner?.argv.slice(0, 3)).toEqual(["runner", "--lease", input.lease]);
      expect(renew?.argv.slice(0, 6)).toEqual(["lease", "renew", "--lease", input.lease, "--after", "4242"]);
      expect(runner?.env).toMatchObject({ RV_HOME: input.root, RV_LEASE: input.lease });
      expect(calls.find((c) => c.command === "lease-supervise")?.argv.slice(0, 3)).toEqual([
        "lease",
        "supervise",
        input.lease,
      ]);
    }
    expect(outcomes.rendered).toBeGreaterThan(5);
    expect(outcomes.refused).toBeGreaterThan(5);
  });
});
