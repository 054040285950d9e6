import { afterAll, describe, expect, test } from "vitest";
import { RvError } from "../../src/errors.ts";
import { localRemote } from "../../src/remote/index.ts";
import {
  jobStatus,
  runQueries,
  runQuery,
  sacctJobs,
  sbatchSubmit,
  sbatchTestOnly,
  scancelJobs,
  scontrolBeginNow,
  scontrolJobs,
  scontrolNodes,
  scontrolPartitions,
  sinfoRows,
  squeueJobs,
  sshareRows,
} from "../../src/slurm/index.ts";
import { waitFor } from "../helpers/wait.ts";

// Every Slurm query against the live dev cluster (the cluster project's global setup brought it up).
const remote = localRemote();
const tag = `rvq-${process.pid}`;
const submitted: string[] = [];
const sleeper = "#!/bin/sh\nsleep 60\n";

async function submit(name: string, args: string[] = [], script = sleeper): Promise<string> {
  const outcome = await runQuery(
    remote,
    sbatchSubmit(["-J", `${tag}-${name}`, "-o", "/dev/null", "-t", "2", ...args], script),
  );
  if (!outcome.ok) throw new Error(`sbatch refused: ${outcome.error.message}`);
  submitted.push(outcome.jobId);
  return outcome.jobId;
}

afterAll(async () => {
  if (submitted.length) await runQuery(remote, scancelJobs(submitted));
});

describe("reading the cluster", () => {
  test("sinfo, scontrol show partition and sshare answer in one round trip", async () => {
    const [nodes, partitions, shares] = await runQueries(remote, [
      sinfoRows(),
      scontrolPartitions(),
      sshareRows("root"),
    ] as const);
    expect(nodes.issues).toEqual([]);
    expect(new Set(nodes.records.flatMap((r) => r.nodes)).size).toBe(8);
    const a6000 = nodes.records.filter((r) => r.partition === "gpu-a6000");
    expect(a6000.map((r) => r.gres[0])).toEqual([
      expect.objectContaining({ type: "a6000", count: 4 }),
      expect.objectContaining({ type: "a6000", count: 4 }),
    ]);
    expect(nodes.records.find((r) => r.partition === "standard")?.isDefault).toBe(true);
    expect(partitions.records.map((p) => p.name).sort()).toEqual([
      "gpu-a100-80",
      "gpu-a6000",
      "gpu-mig",
      "interactive-rtx3090",
      "standard",
    ]);
    expect(partitions.records.find((p) => p.name === "interactive-rtx3090")?.maxTime).toEqual({
      kind: "seconds",
      seconds: 8 * 3600,
    });
    expect(shares.records.find((r) => r.account === "lab" && r.user === "root")).toBeDefined();
  });

  test("scontrol -d show node reports the GPUs a running job holds, with their indexes", async () => {
    const id = await submit("gres", ["-p", "gpu-a6000", "--gres=gpu:a6000:2"]);
    await waitFor(async () => (await jobStatus(remote, [id]))[0]?.state?.kind === "running", {
      what: "the GPU job to start",
      intervalMs: 200,
    });
    const [job] = (await runQuery(remote, scontrolJobs(id))).records;
    const node = (await runQuery(remote, scontrolNodes())).records.find((n) => n.name === job?.nodes[0]);
    // Other test files may hold GPUs of the same node meanwhile: this job's two are among those in use.
    const used = node?.gresUsed?.find((g) => g.kind === "gres" && g.type === "a6000");
    expect(used?.kind === "gres" && used.count).toBeGreaterThanOrEqual(2);
    expect(used?.kind === "gres" && used.indexes?.length).toBe(used?.kind === "gres" ? used.count : -1);
  });
});

describe("submitting, watching and cancelling a job", () => {
  test("a job held back by --begin reads pending (BeginTime), and runs once told to begin now", async () => {
    const id = await submit("begin", ["-p", "standard", "--begin=now+3600"]);
    const [held] = await waitFor(
      async () => {
        const status = await jobStatus(remote, [id]);
        return status[0]?.reason === "BeginTime" ? status : undefined;
      },
      { what: "the job to wait for its begin time", intervalMs: 200 },
    );
    expect(held?.state?.kind).toBe("pending");
    expect(await runQuery(remote, scontrolBeginNow(id))).toBe(true);
    await waitFor(async () => (await jobStatus(remote, [id]))[0]?.state?.kind === "running", {
      what: "the job to run",
      timeoutMs: 30_000,
      intervalMs: 500,
    });
  });

  test("a submitted job is listed by squeue, reads running, and is gone after scancel", async () => {
    const id = await submit("life", ["-p", "standard"]);
    const listed = await runQuery(remote, squeueJobs({ jobIds: [id] }));
    expect(listed.records.map((j) => j.jobId)).toEqual([id]);
    await waitFor(async () => (await jobStatus(remote, [id]))[0]?.state?.kind === "running", {
      what: "the job to run",
      intervalMs: 200,
    });
    const [status] = await jobStatus(remote, [id]);
    expect(status).toMatchObject({
      source: "squeue",
      partition: "standard",
      nodes: [expect.stringMatching(/^cpu-0[12]$/)],
    });
    expect(status?.start?.kind).toBe("at");

    expect(await runQuery(remote, scancelJobs([id]))).toEqual({ signalled: [id], unknown: [] });
    await waitFor(async () => (await runQuery(remote, squeueJobs({ jobIds: [id] }))).records.length === 0, {
      what: "the job to leave squeue",
      intervalMs: 200,
    });
    const [after] = await jobStatus(remote, [id]);
    expect(after?.state?.kind).toBe("cancelled");
  });

  test("a finished job: squeue -j prints nothing, -t all still shows it, sacct has it after its lag", async () => {
    const id = await submit("done", ["-p", "standard"], "#!/bin/sh\ntrue\n");
    await waitFor(async () => (await jobStatus(remote, [id]))[0]?.state?.kind === "completed", {
      what: "the job to complete",
      intervalMs: 200,
    });
    expect((await runQuery(remote, squeueJobs({ jobIds: [id] }))).records).toEqual([]);
    const all = await runQuery(remote, squeueJobs({ jobIds: [id], includeFinished: true }));
    expect(all.records[0]?.state.kind).toBe("completed");
    await waitFor(
      async () => (await runQuery(remote, sacctJobs({ jobIds: [id] }))).records[0]?.state.kind === "completed",
      { what: "sacct to catch up", intervalMs: 200 },
    );
  });

  test("a job id Slurm never knew (or forgot after MinJobAge) lists as nothing, not an error", async () => {
    expect((await runQuery(remote, squeueJobs({ jobIds: ["999999"] }))).records).toEqual([]);
    expect((await runQuery(remote, scontrolJobs("999999"))).records).toEqual([]);
    expect(await jobStatus(remote, ["999999"])).toEqual([
      expect.objectContaining({ jobId: "999999", source: "unknown", state: null }),
    ]);
  });

  test("scancel of an unknown job exits 0 in Slurm; rv reports it as unknown", async () => {
    const live = await submit("cancel-mix", ["-p", "standard"]);
    expect(await runQuery(remote, scancelJobs([live, "999998"]))).toEqual({ signalled: [live], unknown: ["999998"] });
  });

  test("a rejected sbatch is an outcome with its reason; Slurm still records it as FAILED under an id rv never sees", async () => {
    const name = `${tag}-rejected`;
    const outcome = await runQuery(
      remote,
      sbatchSubmit(["-J", name, "-o", "/dev/null", "-p", "gpu-a6000", "--gres=gpu:a6000:9", "-t", "1"], sleeper),
    );
    expect(outcome).toMatchObject({ ok: false, error: { kind: "node_config_unavailable" } });
    const ghosts = await runQuery(remote, squeueJobs({ names: [name], includeFinished: true }));
    expect(ghosts.records.map((j) => j.state.kind)).toEqual(["failed"]);
    expect(ghosts.records[0]?.reason).toBe("BadConstraints");
  });
});

describe("sbatch --test-only", () => {
  test("estimates a start on a partition that fits, and names the reason for one that cannot", async () => {
    const script = (...directives: string[]) =>
      ["#!/bin/bash", ...directives.map((d) => `#SBATCH ${d}`), "true", ""].join("\n");
    const [fits, tooMany, noSuch] = await runQueries(remote, [
      sbatchTestOnly([], script("-p gpu-mig", "--gres=gpu:1g.10gb:1", "-t 5")),
      sbatchTestOnly(["-t", "5"], script("-p gpu-a6000", "--gres=gpu:a6000:9")),
      sbatchTestOnly(["-p", "nosuchpart", "-t", "5"], script()),
    ] as const);
    expect(fits).toMatchObject({ kind: "estimate", estimate: { partition: "gpu-mig", nodes: ["mig-01"] } });
    if (fits.kind === "estimate" && fits.estimate.start.kind === "at") {
      expect(Math.abs(fits.estimate.start.epoch - Date.now() / 1000)).toBeLessThan(600);
    } else throw new Error(`no start time in ${JSON.stringify(fits)}`);
    expect(tooMany).toMatchObject({ kind: "error", error: { kind: "node_config_unavailable" } });
    expect(noSuch).toMatchObject({ kind: "error", error: { kind: "invalid_partition", partition: "nosuchpart" } });
  });
});

describe("failures", () => {
  test("a Slurm command missing on the far side is a cluster error that says so", async () => {
    const query = sinfoRows();
    const missing = {
      ...query,
      command: { ...query.command, argv: ["sinfo-not-installed", ...query.command.argv.slice(1)] },
    };
    const error = await runQuery(remote, missing).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RvError);
    expect(error).toMatchObject({ code: "cluster", message: expect.stringContaining("not installed") });
  });
});
