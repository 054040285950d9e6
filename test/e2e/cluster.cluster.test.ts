import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { closeSshMaster, devCluster } from "../helpers/cluster.ts";
import { makeHome } from "../helpers/home.ts";
import { json, releaseAll } from "../helpers/lease.ts";
import { assertBuilt, RV_BIN, rv } from "../helpers/rv.ts";
import { waitFor } from "../helpers/wait.ts";

// The laptop's view of a cluster, end to end through the real loopback sshd: `rv init` against the dev
// cluster, then the read commands and a submit, each checked against what Slurm itself says. The "cluster
// root" is a directory on this machine, because the dev cluster's login node is this machine.
const laptop = makeHome("rv-laptop-");
const cluster = makeHome("rv-cluster-");
const root = join(cluster.root, "root");
const alias = "rv-e2e";
const jobName = `rv-e2e-${process.pid}`;
let gpuJob = "";

const init = (...more: string[]) =>
  rv(laptop.root, [
    "init",
    "--yes",
    "--json",
    ...["--host", "127.0.0.1", "--port", String(devCluster.sshPort), "--user", "root"],
    ...["--identity-file", devCluster.identityFile, "--account", devCluster.account, "--root", root, "--name", "e2e"],
    ...more,
  ]);

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

beforeAll(async () => {
  assertBuilt();
  const submitted = await execa("sbatch", [
    ...["--parsable", "-J", jobName, "-o", "/dev/null", "-t", "5"],
    // gpu-mig: no other test file allocates GPUs there, so the counts below are this job's alone
    ...["-p", "gpu-mig", "--gres=gpu:1g.10gb:3", "--wrap", "sleep 300"],
  ]);
  gpuJob = submitted.stdout.trim();
});

afterAll(async () => {
  if (gpuJob) await execa("scancel", [gpuJob], { reject: false });
  await releaseAll(root);
  await closeSshMaster(laptop.root, alias);
  laptop.cleanup();
  cluster.cleanup();
});

describe("a laptop and the dev cluster over ssh", () => {
  test("rv init --yes writes the config and an ssh block, deploys this build, and discovers the GPUs", async () => {
    const result = await init();
    expect(result.exitCode, result.stderr as string).toBe(0);
    const out = json<{ cluster: Record<string, string>; deployed: string; partitions: { partition: string }[] }>(
      result.stdout as string,
    );
    expect(out.cluster).toEqual({ name: "e2e", host: alias, user: "root", account: "lab", root });
    expect(out.partitions.map((p) => p.partition).sort()).toEqual([
      "gpu-a100-80",
      "gpu-a6000",
      "gpu-mig",
      "interactive-rtx3090",
    ]);
    expect(sha256(out.deployed)).toBe(sha256(RV_BIN));
    expect(statSync(root).mode & 0o777).toBe(0o700);
    expect(readFileSync(join(laptop.root, "ssh", "config"), "utf8")).toMatch(/Host rv-e2e\n[\s\S]*ControlMaster auto/);
    expect(statSync(join(laptop.root, "config.toml")).mode & 0o777).toBe(0o600);
  });

  test("rv init --profile sets the site profile, rv init again keeps it, and an unknown one is refused", async () => {
    const first = await init("--profile", "devcluster");
    expect(first.exitCode, first.stderr as string).toBe(0);
    expect(json<{ cluster: { profile?: string } }>(first.stdout as string).cluster.profile).toBe("devcluster");
    const again = await init();
    expect(again.exitCode, again.stderr as string).toBe(0);
    expect(readFileSync(join(laptop.root, "config.toml"), "utf8")).toMatch(/^profile = "devcluster"$/m);
    const unknown = await init("--profile", "nosuchsite");
    expect(unknown.exitCode).toBe(2);
    expect(json<{ error: { message: string } }>(unknown.stdout as string).error.message).toContain("nosuchsite");
    expect(readFileSync(join(laptop.root, "config.toml"), "utf8")).toMatch(/^profile = "devcluster"$/m);
  });

  test("rv doctor passes every check and names the deployed build", async () => {
    const result = await rv(laptop.root, ["doctor", "--json"]);
    const out = json<{ ok: boolean; checks: { name: string; ok: boolean; detail: string }[] }>(result.stdout as string);
    expect(out.checks.filter((c) => !c.ok)).toEqual([]);
    expect(result.exitCode).toBe(0);
    expect(out.checks.map((c) => c.name)).toEqual(
      expect.arrayContaining(["ssh", "connection", "slurm", "partitions", "root", "space", "deployed", "leases"]),
    );
  });

  test("rv resources --json counts the GPUs Slurm reports as allocated to a running job", async () => {
    await waitFor(async () => (await execa("squeue", ["-h", "-j", gpuJob, "-o", "%T"])).stdout.trim() === "RUNNING", {
      what: "the 3-GPU job to run",
      intervalMs: 200,
    });
    const result = await rv(laptop.root, ["resources", "--json", "--partition", "gpu-mig", "--gpu", "4"]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    expect((await execa("squeue", ["-h", "-j", gpuJob, "-o", "%N"])).stdout.trim()).toBe("mig-01");
    const out = json<{ pools: Record<string, unknown>[] }>(result.stdout as string);
    // Other test files run beside this one, and a 1-GPU lease of theirs may hold a slice of mig-01 too.
    const others = await otherGpusOn("mig-01", gpuJob);
    expect(out.pools).toEqual([
      expect.objectContaining({
        partition: "gpu-mig",
        type: "1g.10gb",
        total: 7,
        allocated: 3 + others,
        idle: 4 - others,
        maxFreeOnOneNode: 4 - others,
        request: others === 0 ? "starts now" : "waits",
      }),
    ]);
  });

  test("rv status --json shows the connection, the account, my jobs as squeue lists them, and my leases", async () => {
    const up = await rv(root, ["lease", "up", "--local", "--name", "sweep", "--gpu-ids", "0,1"]);
    expect(up.exitCode, up.stderr as string).toBe(0);
    const result = await rv(laptop.root, ["status", "--json"]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    const {
      clusters: [status],
    } = json<{ clusters: (Record<string, unknown> & { jobs: { jobId: string }[] })[] }>(result.stdout as string);
    if (!status) throw new Error("rv status --json shows no cluster");
    // Jobs of other files come and go meanwhile (a watchdog lives for a second): -t all still lists one that ended.
    const squeue = (await execa("squeue", ["-h", "-u", "root", "-t", "all", "-o", "%i"])).stdout.trim().split("\n");
    expect(status).toMatchObject({ connected: true, via: alias, user: "root", account: { name: "lab" } });
    expect(status.jobs.map((j) => j.jobId)).toContain(gpuJob);
    expect(status.jobs.every((j) => squeue.includes(j.jobId))).toBe(true);
    expect(status.leases).toEqual([expect.objectContaining({ lease: "sweep", state: "active" })]);
  });

  test("a submit to a cluster lease travels over ssh and runs on the cluster side", async () => {
    const marker = join(cluster.root, "marker");
    const result = await rv(laptop.root, [
      ...["submit", "--json", "--lease", "sweep", "--env", "GREETING=it's a secret; $(rm -rf /)"],
      ...["--", "sh", "-c", 'printf "%s" "$GREETING" > "$1"', "sh", marker],
    ]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    const { tasks } = json<{ tasks: { id: string }[] }>(result.stdout as string);
    const wait = await rv(root, ["wait", tasks[0]?.id ?? "?", "--timeout", "30s"]);
    expect(wait.exitCode, wait.stderr as string).toBe(0);
    expect(readFileSync(marker, "utf8")).toBe("it's a secret; $(rm -rf /)");
    expect(existsSync(join(laptop.root, "leases", "sweep"))).toBe(false);
  });

  test("an unknown lease is reported from the cluster as not found (exit 3)", async () => {
    const result = await rv(laptop.root, ["submit", "--lease", "nosuch", "--", "true"]);
    expect(result.exitCode).toBe(3);
    expect(result.stderr).toMatch(/nosuch/);
  });

  test("killing the ssh master mid-deploy gives a clear error and leaves no partial binary", async () => {
    const bin = join(root, "bin");
    for (const file of readdirSync(bin)) rmSync(join(bin, file));
    const doctor = rv(laptop.root, ["doctor"]);
    await waitFor(() => readdirSync(bin).some((f) => f.endsWith(".tmp")), {
      what: "the upload to start",
      intervalMs: 5,
    });
    const check = await execa("ssh", ["-F", join(laptop.root, "ssh", "config"), "-O", "check", alias], {
      reject: false,
    });
    const pid = /pid=(\d+)/.exec(check.stderr as string)?.[1];
    expect(pid, check.stderr as string).toBeDefined();
    process.kill(Number(pid), "SIGKILL");
    const result = await doctor;
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toMatch(/FAIL\s+connection .*(dropped|closed|connection)/i);
    // No partial state: the temporary file goes away, and the target is either absent or whole (the bytes may
    // all have crossed before the drop, in which case the far side finished the rename).
    await waitFor(() => !readdirSync(bin).some((f) => f.endsWith(".tmp")), {
      what: "the partial upload to be removed",
      intervalMs: 100,
    });
    for (const file of readdirSync(bin)) expect(sha256(join(bin, file))).toBe(sha256(RV_BIN));

    const again = await rv(laptop.root, ["doctor"]);
    expect(again.exitCode, again.stdout as string).toBe(0);
    expect(readdirSync(bin)).toHaveLength(1);
  });
});

describe("as an unprivileged cluster user", () => {
  const home = makeHome("rv-labuser-laptop-");
  const userRoot = `/tmp/rv-labuser-${process.pid}/.rv`;
  afterAll(async () => {
    await closeSshMaster(home.root, "rv-lab");
    await execa("rm", ["-rf", `/tmp/rv-labuser-${process.pid}`]);
    home.cleanup();
  });

  test("init as labuser deploys into a root labuser owns, and status shows labuser's account and only its jobs", async () => {
    await execa("install", ["-d", "-o", "labuser", "-m", "700", `/tmp/rv-labuser-${process.pid}`]);
    const result = await rv(home.root, [
      ...["init", "--yes", "--json", "--host", "127.0.0.1", "--port", String(devCluster.sshPort)],
      ...["--user", "labuser", "--identity-file", devCluster.identityFile, "--account", "research"],
      ...["--root", userRoot, "--name", "lab"],
    ]);
    expect(result.exitCode, result.stderr as string).toBe(0);
    expect(statSync(userRoot).uid).toBe(Number((await execa("id", ["-u", "labuser"])).stdout));

    const status = await rv(home.root, ["status", "--json"]);
    expect(status.exitCode, status.stderr as string).toBe(0);
    const {
      clusters: [s],
    } = json<{ clusters: (Record<string, unknown> & { jobs: unknown[] })[] }>(status.stdout as string);
    expect(s).toMatchObject({ connected: true, user: "labuser", account: { name: "research" } });
    // root's 3-GPU job is running meanwhile; it is not labuser's
    expect(s?.jobs).toEqual([]);
  });
});

/** GPUs that running jobs other than `except` hold on `node`, as squeue reports their GRES per node. */
async function otherGpusOn(node: string, except: string): Promise<number> {
  const { stdout } = await execa("squeue", ["-h", "-t", "RUNNING", "-w", node, "-o", "%i %b"]);
  return stdout
    .split("\n")
    .map((line) => line.trim().split(/\s+/))
    .filter(([id]) => id && id !== except)
    .reduce((sum, [, gres]) => sum + Number(/gpu(?::[^:,]+)?:(\d+)/.exec(gres ?? "")?.[1] ?? 0), 0);
}
