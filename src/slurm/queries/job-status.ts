import { deferred } from "../../deferred.ts";
import type { Remote } from "../../remote/index.ts";
import { z } from "../../zod.ts";
import { JobStateSchema } from "../parse/job-state.ts";
import type { SacctJob } from "../parse/sacct.ts";
import type { SqueueJob } from "../parse/squeue.ts";
import { InstantSchema } from "../parse/time.ts";
import { runQueries } from "../query.ts";
import { sacctJobs } from "./sacct.ts";
import { squeueJobs } from "./squeue.ts";

/**
 * What Slurm knows of one job, from whichever source is right: squeue while slurmctld still holds the job
 * (it is current; sacct lags 1-3 s and may still say PENDING for a running job), sacct once the job aged out
 * of slurmctld (after MinJobAge squeue errors on its id), and `unknown` when neither knows it yet or any more.
 */
export const JobStatusSchema = deferred(() =>
  z.object({
    jobId: z.string(),
    source: z.enum(["squeue", "sacct", "unknown"]),
    state: z.nullable(JobStateSchema),
    partition: z.nullable(z.string()),
    nodes: z.array(z.string()),
    start: z.nullable(InstantSchema),
    end: z.nullable(InstantSchema),
    reason: z.nullable(z.string()),
  }),
);
export type JobStatus = z.infer<typeof JobStatusSchema>;

export function mergeJobStatus(
  jobIds: readonly string[],
  queued: readonly SqueueJob[],
  accounted: readonly SacctJob[],
): JobStatus[] {
  return jobIds.map((jobId) => {
    const q = queued.find((j) => j.jobId === jobId);
    if (q) {
      const { state, partition, nodes, start, end, reason } = q;
      return { jobId, source: "squeue", state, partition, nodes, start, end, reason };
    }
    const a = accounted.find((j) => j.jobId === jobId);
    if (a) {
      const { state, partition, nodes, start, end } = a;
      return { jobId, source: "sacct", state, partition, nodes, start, end, reason: null };
    }
    return unknownJobStatus(jobId);
  });
}

/** A job neither squeue nor sacct knows (purged from both, or never Slurm's). */
export function unknownJobStatus(jobId: string): JobStatus {
  return { jobId, source: "unknown", state: null, partition: null, nodes: [], start: null, end: null, reason: null };
}

/** Both sources in one round trip. */
export async function jobStatus(remote: Remote, jobIds: readonly string[]): Promise<JobStatus[]> {
  if (jobIds.length === 0) return [];
  const [queued, accounted] = await runQueries(remote, [
    squeueJobs({ jobIds, includeFinished: true }),
    sacctJobs({ jobIds }),
  ] as const);
  return mergeJobStatus(jobIds, queued.records, accounted.records);
}
