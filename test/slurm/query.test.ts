import { describe, expect, test } from "vitest";
import { mergeJobStatus, parseSacct, parseSqueue, slurmCommand, slurmFailure } from "../../src/slurm/index.ts";

const squeue = slurmCommand(["squeue", "--noheader"]);

describe("slurmFailure names what went wrong on the cluster", () => {
  test("a controller that does not answer reads as maintenance or an outage", () => {
    const stderr = "slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n";
    const error = slurmFailure(squeue, { exitCode: 1, stdout: "", stderr }, "rivanna (ssh)");
    expect(error).toMatchObject({
      code: "cluster",
      message: expect.stringMatching(/controller does not answer on rivanna/),
    });
    expect(error.hint).toMatch(/maintenance/);
  });

  test("a command that is not there says it is not installed, and points at the host setting", () => {
    const error = slurmFailure(squeue, { exitCode: 127, stdout: "", stderr: "sh: 1: exec: squeue: not found\n" }, "x");
    expect(error.message).toBe("squeue is not installed on x");
  });

  test("any other failure carries Slurm's last line and the command to rerun", () => {
    const stderr = "squeue: error: Invalid user: nosuchuser\n";
    const error = slurmFailure(squeue, { exitCode: 1, stdout: "", stderr }, "x");
    expect(error.message).toBe("squeue failed on x: squeue: error: Invalid user: nosuchuser");
    expect(error.hint).toContain("squeue --noheader");
  });
});

describe("mergeJobStatus", () => {
  // 1795401896 = 2026-11-23T02:44:56Z, as SLURM_TIME_FORMAT=%s prints it
  const queued = parseSqueue(
    "42|gpu-a6000|x|me|RUNNING|0:05|10:00|9:55|1795401896|1795402496|1|a6000-01|N/A\n",
  ).records;
  const accounted = parseSacct(
    "JobID|JobName|Partition|Account|AllocTRES|State|ExitCode|Start|End|Elapsed|NodeList\n" +
      "42|x||lab||PENDING|0:0|Unknown|Unknown|00:00:00|None assigned\n" +
      "41|y|standard|lab|cpu=1|COMPLETED|0:0|1795401000|1795401060|00:01:00|cpu-01\n",
  ).records;

  test("trusts squeue over a lagging sacct, falls back to sacct after MinJobAge, and says when neither knows", () => {
    const [running, old, gone] = mergeJobStatus(["42", "41", "40"], queued, accounted);
    expect(running).toMatchObject({ source: "squeue", state: { kind: "running" }, nodes: ["a6000-01"] });
    expect(old).toMatchObject({ source: "sacct", state: { kind: "completed" }, partition: "standard" });
    expect(gone).toMatchObject({ source: "unknown", state: null });
  });
});
