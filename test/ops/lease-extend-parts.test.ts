import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, expect, test } from "vitest";
import { leasePaths, PROTOCOL_VERSION, readRecord, SlurmLeaseSchema, segmentFile } from "../../src/fsqueue/index.ts";
import { writeLease, writeSegment } from "../../src/lease/index.ts";
import { leaseExtendOp } from "../../src/ops/lease-extend.ts";
import type { OpEnv } from "../../src/ops/op.ts";
import type { CommandResult, Remote, RemoteCommand } from "../../src/remote/index.ts";
import { makeSlurmLease } from "../helpers/slurm-lease.ts";

// A scripted Slurm: a refusal of one part's segment after another's was accepted cannot be provoked on the dev
// cluster. Slurm knows none of the lease's jobs (both parts ended), so extend submits a segment for each.
function scriptedSlurm(): Remote & { cancelled: string[] } {
  const cancelled: string[] = [];
  let sbatches = 0;
  const answer = (c: RemoteCommand): CommandResult => {
    if (c.argv[0] === "scancel") cancelled.push(...c.argv.filter((a) => /^\d+$/.test(a)));
    if (c.argv[0] !== "sbatch") return { exitCode: 0, stdout: "", stderr: "" };
    sbatches += 1;
    // Part 0's segment and its watchdog are accepted; part 1's segment is refused.
    if (sbatches <= 2) return { exitCode: 0, stdout: `${200 + sbatches}\n`, stderr: "" };
    return { exitCode: 1, stdout: "", stderr: "sbatch: error: QOSMaxSubmitJobPerUserLimit\n" };
  };
  return { where: "scripted", cancelled, run: async (commands) => commands.map(answer) };
}

const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

test("rv lease extend of a lease of parts is all or none: a part refused withdraws the part extended before it", async () => {
  const root = mkdtempSync(join(tmpdir(), "rv-extend-"));
  roots.push(root);
  const lease = makeSlurmLease({ request: { parts: 2, totalSeconds: 3600, segmentSeconds: 3600 } });
  writeLease(root, lease);
  const p = leasePaths(root, lease.id);
  for (const n of [0, 1]) {
    const submittedAt = "2026-12-03T11:00:00.000Z";
    writeSegment(p, {
      v: PROTOCOL_VERSION,
      lease: lease.id,
      n,
      jobId: `10${n}`,
      submittedAt,
      submittedBy: "t",
      after: null,
      wallSeconds: 3600,
    });
  }
  const remote = scriptedSlurm();
  const env = { root, remote, host: "h", user: "me", now: () => new Date("2026-12-03T12:00:00.000Z") };
  const extending = leaseExtendOp.run(env as unknown as OpEnv, { lease: lease.id, addSeconds: 3600 });
  await expect(extending).rejects.toThrow(/Slurm refused segment 3 of lease sweep: .*QOSMaxSubmitJobPerUserLimit/);
  expect(remote.cancelled).toEqual(["202", "201"]);
  expect(existsSync(segmentFile(p, 2, "json"))).toBe(false);
  expect(readRecord(p.leaseFile, SlurmLeaseSchema).request.totalSeconds).toBe(3600);
});
