import { readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// A task that does what PyTorch Lightning does on its requeue signal (save, `scontrol requeue $SLURM_JOB_ID`,
// train on) at a segment end: rv's scontrol shim takes the requeue as the task's own, so the task resumes as its
// next attempt in the next segment, and the lease's segment job is never requeued. (About 1-2 minutes.)
const laptop = makeHome("rv-shim-laptop-");
const cluster = makeHome("rv-shim-cluster-");
const root = join(cluster.root, "root");
const work = join(cluster.root, "work");
const LEASE = "rqshim";

beforeAll(async () => {
  assertBuilt();
  await execa("mkdir", ["-p", work]);
  await initLaptop(laptop.root, root, "rq");
});

afterAll(async () => {
  await rv(laptop.root, ["lease", "release", LEASE, "--now"]);
  await scancelByName([0, 1, 2].map((n) => `rv-${LEASE}-${n}`));
  await closeSshMaster(laptop.root, "rv-rq");
  laptop.cleanup();
  cluster.cleanup();
});

const task = join(import.meta.dirname, "lightning-requeue.sh");
const logOf = (file: string): string[] => {
  try {
    return readFileSync(file, "utf8").trim().split("\n");
  } catch {
    return [];
  }
};

describe("a task that requeues its Slurm job itself, as Lightning and submitit do", () => {
  test("resumes as its next attempt with RV_RESUME=1 and its checkpoint; the segment job is not requeued", {
    timeout: 240_000,
  }, async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "standard", "--gpu", "0", "--cpus", "1", "--segment", "2m", "--time", "6m"],
      ...["--name", LEASE, "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const submit = await rv(laptop.root, [
      ...["submit", "--json", "--lease", LEASE, "--checkpoint", "--name", "lit", "--"],
      ...["bash", task, join(work, "lit")],
    ]);
    expect(submit.exitCode, submit.stderr as string).toBe(0);
    const id = json<{ tasks: { id: string }[] }>(submit.stdout as string).tasks[0]?.id ?? "?";
    const log = join(work, "lit.log");
    const out = join(root, "leases", LEASE, "logs", id, "1.out");
    await waitFor(() => logOf(out).includes("step 3"), { timeoutMs: 60_000, what: "attempt 1 to reach step 3" });
    // What the segment's batch script does when Slurm's USR1 comes (Slurm's own comes 30-90 s into a 2m segment).
    const end = await rv(root, ["lease", "end-segment", "--lease", LEASE, "--segment", "0"]);
    expect(end.exitCode, end.stderr as string).toBe(0);

    const wait = await rv(root, ["wait", id, "--timeout", "3m"]);
    expect(wait.exitCode, `${wait.stdout}${wait.stderr}`).toBe(0);
    const segments = json<{ segments: { segment: { n: number; jobId: string } }[] }>(
      (await rv(laptop.root, ["lease", "show", LEASE, "--json"])).stdout as string,
    ).segments.map((s) => s.segment);
    const [first, second] = segments;
    // Attempt 1: its requeue succeeded (Slurm itself refuses it: segments are --no-requeue), and rv stopped it at
    // once (SIGTERM, which Lightning ignores, then SIGKILL): the two lines come in either order.
    const lines = logOf(log);
    const requeued = lines.find((line) => line.startsWith("1 requeue")) ?? "";
    expect(requeued).toMatch(new RegExp(`^1 requeue status 0 step=\\d+ job=${first?.jobId}$`));
    const step = Number(/step=(\d+)/.exec(requeued)?.[1]);
    expect(step).toBeGreaterThanOrEqual(3);
    expect(lines.slice(0, 3).sort()).toEqual([`1 started job=${first?.jobId}`, "1 bypassing SIGTERM", requeued].sort());
    expect(lines.slice(3)).toEqual([`2 resumed step=${step} job=${second?.jobId} JobState=RUNNING`]);
    const err = readFileSync(join(root, "leases", LEASE, "logs", id, "1.err"), "utf8");
    expect(err).toContain(`rv: scontrol requeue of job ${first?.jobId}, the lease's segment: task ${id} goes back`);
    const done = json<{ state: string; task: { attempt: number; crashes: number; resume: boolean } }>(
      readFileSync(join(root, "leases", LEASE, "done", `${id}.json`), "utf8"),
    );
    expect(done).toMatchObject({ state: "succeeded", task: { attempt: 2, crashes: 0, resume: true } });
    const runnerLog = readFileSync(join(root, "leases", LEASE, "runner.log"), "utf8");
    expect(runnerLog).toContain(`task ${id} attempt 1 ran scontrol requeue: stopping it`);

    // Slurm never requeued the segment's job: no restart, and no REQUEUED in its accounting.
    const show = await execa("scontrol", ["show", "job", first?.jobId ?? "?"]);
    expect(show.stdout).toMatch(/\bRestarts=0\b/);
    const states = await waitFor(
      async () => {
        const sacct = await execa("sacct", ["-j", first?.jobId ?? "?", "-D", "-X", "-n", "-P", "-o", "State"]);
        const lines = sacct.stdout.trim().split("\n");
        return lines.every((state) => /^(COMPLETED|FAILED|CANCELLED)/.test(state)) && lines;
      },
      { timeoutMs: 30_000, what: `sacct to record the end of job ${first?.jobId}` },
    );
    expect(states).toEqual(["COMPLETED"]);
  });
});
