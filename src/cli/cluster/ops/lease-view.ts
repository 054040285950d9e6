import { z } from "zod";
import { RvError } from "../../../errors.ts";
import { leasePaths, type Segment, type SlurmLease } from "../../../fsqueue/index.ts";
import { readSegments, requireLease, writeSegment } from "../../../lease/index.ts";
import { isFinished, type JobStatus, jobStatus, runQuery, scancelJobs } from "../../../slurm/index.ts";
import { type LeaseSummary, readSummary } from "../../commands/status.ts";
import type { ClusterSide } from "../side.ts";

export const LeaseViewArgsSchema = z.object({ lease: z.string() });
export type LeaseViewArgs = z.infer<typeof LeaseViewArgsSchema>;

export interface SegmentView {
  segment: Segment;
  job: JobStatus;
}

export interface LeaseViewResult {
  lease: SlurmLease;
  segments: SegmentView[];
  summary: LeaseSummary;
}

/**
 * A Slurm lease as it stands: its record, each segment with what Slurm says of its job now (one squeue and
 * one sacct for all of them), and its runners and tasks. A segment whose job has ended gets its end recorded
 * from Slurm, once. A released lease's segments still queued are cancelled: a runner that released the lease
 * when it went idle cannot cancel them itself (it runs inside the job before them).
 */
export async function leaseViewOp(side: ClusterSide, args: LeaseViewArgs): Promise<LeaseViewResult> {
  const { root } = side.ctx;
  const lease = requireLease(root, args.lease);
  if (lease.kind !== "slurm") {
    throw new RvError("usage", `lease ${lease.id} on the cluster is not a Slurm lease`);
  }
  const p = leasePaths(root, lease.id);
  const segments = readSegments(p);
  const jobs = await jobStatus(
    side.remote,
    segments.map((s) => s.jobId),
  );
  const views = segments.map((segment, i) => ({ segment: recordEnd(p, segment, jobs[i]), job: jobs[i] as JobStatus }));
  if (lease.state === "released") await cancelQueued(side, jobs);
  return { lease, segments: views, summary: readSummary(side.ctx, side.config, lease.id) };
}

function recordEnd(p: ReturnType<typeof leasePaths>, segment: Segment, job: JobStatus | undefined): Segment {
  if (segment.ended || !job?.state || !isFinished(job.state.kind)) return segment;
  const iso = (i: JobStatus["start"]) => (i?.kind === "at" ? new Date(i.epoch * 1000).toISOString() : null);
  const ended = {
    ...segment,
    ended: { state: job.state.raw, start: iso(job.start), end: iso(job.end), nodes: job.nodes },
  };
  writeSegment(p, ended);
  return ended;
}

async function cancelQueued(side: ClusterSide, jobs: readonly JobStatus[]): Promise<void> {
  const queued = jobs.filter((j) => j.state?.kind === "pending").map((j) => j.jobId);
  if (queued.length) await runQuery(side.remote, scancelJobs(queued));
}
