import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, initLaptop, scancelByName } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json } from "../helpers/lease.ts";
import { assertBuilt, rv } from "../helpers/rv.ts";

// A Slurm lease from the laptop, end to end: rv init, then `rv lease up --partition ...` through the loopback
// sshd; its segment job runs `rv runner` on a dev-cluster node, tasks submitted from the laptop run there, and
// release leaves nothing in squeue.
const laptop = makeHome("rv-slease-laptop-");
const cluster = makeHome("rv-slease-cluster-");
const root = join(cluster.root, "root");
const leaseJobs = async (lease: string) =>
  (await execa("squeue", ["-h", "-n", `rv-${lease}-0,rv-${lease}-1,rv-${lease}-2`, "-o", "%i %T"])).stdout.trim();

beforeAll(async () => {
  assertBuilt();
  await initLaptop(laptop.root, root, "sl");
});

afterAll(async () => {
  await scancelByName(["rv-sweep-0", "rv-sweep-1", "rv-dry-0", "rv-noacct-0"]);
  await closeSshMaster(laptop.root, "rv-sl");
  laptop.cleanup();
  cluster.cleanup();
});

describe("a Slurm lease driven from the laptop", () => {
  test("--dry-run prints the batch script and submits nothing", async () => {
    const result = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a6000", "--gpu", "2", "--type", "a6000", "--segment", "2m"],
      ...["--name", "dry", "--dry-run"],
    ]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    expect(result.stdout).toMatch(/#SBATCH --partition[= ]'?gpu-a6000/);
    expect(result.stdout).toMatch(/#SBATCH --gres[= ]'?gpu:a6000:2/);
    expect(result.stdout).toMatch(/nothing was submitted/);
    expect(await leaseJobs("dry")).toBe("");
    expect(existsSync(join(root, "leases", "dry"))).toBe(false);
  });

  test("a request no node can hold says why, strategy by strategy, and leaves no lease behind", async () => {
    const result = await rv(laptop.root, ["lease", "up", "--partition", "gpu-a6000", "--gpu", "9", "--name", "huge"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/no way to ask this cluster for that lease: .*a6000/);
    expect(existsSync(join(root, "leases", "huge"))).toBe(false);
  });

  test("an account Slurm refuses: every probe says so, and nothing is submitted", async () => {
    const result = await rv(laptop.root, ["lease", "up", "--gpu", "1", "--account", "nosuch", "--name", "noacct"]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/sbatch --test-only refused it: .*(invalid account|account)/i);
    expect(await leaseJobs("noacct")).toBe("");
    expect(existsSync(join(root, "leases", "noacct"))).toBe(false);
  });

  test("lease up waits for the runner; tasks from the laptop run on the node with the lease's GPUs; release empties squeue", {
    timeout: 180_000,
  }, async () => {
    const up = await rv(laptop.root, [
      ...["lease", "up", "--partition", "gpu-a6000", "--gpu", "2", "--type", "a6000"],
      ...["--segment", "5m", "--name", "sweep", "--json"],
    ]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const ready = json<{ state: string; runners: { gpus: string[]; health: string }[] }>(up.stdout as string);
    expect(ready.state).toBe("ready");
    expect(ready.runners).toEqual([
      expect.objectContaining({ health: "ok", gpus: [expect.any(String), expect.any(String)] }),
    ]);
    expect(await leaseJobs("sweep")).toMatch(/RUNNING/);

    const marker = join(cluster.root, "gpus");
    const submit = await rv(laptop.root, [
      ...["submit", "--json", "--lease", "sweep", "--gpus", "2", "--"],
      ...["sh", "-c", 'echo "$CUDA_VISIBLE_DEVICES $SLURM_JOB_ID" > "$1"', "sh", marker],
    ]);
    expect(submit.exitCode, submit.stderr as string).toBe(0);
    const task = json<{ tasks: { id: string }[] }>(submit.stdout as string).tasks[0]?.id ?? "?";
    const wait = await rv(root, ["wait", task, "--timeout", "60s"]);
    expect(wait.exitCode, wait.stderr as string).toBe(0);
    const [gpus, jobId] = readFileSync(marker, "utf8").trim().split(" ");
    expect(gpus?.split(",")).toHaveLength(2);
    expect(jobId).toMatch(/^\d+$/);

    const show = await rv(laptop.root, ["lease", "show", "sweep", "--json"]);
    expect(show.exitCode, show.stderr as string).toBe(0);
    const shown = json<{ segments: { segment: { n: number; jobId: string }; job: { state: { kind: string } } }[] }>(
      show.stdout as string,
    );
    expect(shown.segments).toEqual([
      expect.objectContaining({
        segment: expect.objectContaining({ n: 0, jobId }),
        job: expect.objectContaining({ state: expect.objectContaining({ kind: "running" }) }),
      }),
    ]);

    // the cluster's leases are listed with this machine's, and with no --lease the only live one is chosen
    const ls = await rv(laptop.root, ["lease", "ls", "--json"]);
    expect(ls.exitCode, ls.stderr as string).toBe(0);
    expect(json<{ leases: Record<string, unknown>[] }>(ls.stdout as string).leases).toEqual([
      expect.objectContaining({ id: "sweep", where: "sl", kind: "slurm", state: "active" }),
    ]);
    const chosen = await rv(laptop.root, ["submit", "--", "true"]);
    expect(chosen.exitCode, chosen.stderr as string).toBe(0);
    expect(chosen.stderr).toMatch(/using lease sweep on cluster sl, the only running lease/);

    // rv run: the output streams back over ssh as the task writes it, and the exit status is the task's own
    const run = await rv(laptop.root, [
      ...["run", "--lease", "sweep", "--", "sh", "-c"],
      'echo "out from $SLURMD_NODENAME"; echo "err line" >&2; exit 3',
    ]);
    expect(run.exitCode, run.stderr as string).toBe(3);
    expect(run.stdout).toMatch(/^\w+\nout from a6000-0[12]\n$/);
    expect(run.stderr).toContain("err line\n");
    const waited = await rv(laptop.root, ["submit", "--wait", "--lease", "sweep", "--", "true"]);
    expect(waited.exitCode, waited.stderr as string).toBe(0);

    // draining with --wait: it returns once the idle runner has exited and its job has ended
    const release = await rv(laptop.root, ["lease", "release", "sweep", "--wait"]);
    expect(release.exitCode, release.stderr as string).toBe(0);
    expect(await leaseJobs("sweep")).toBe("");
  });
});
