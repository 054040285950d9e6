import type { Records } from "../parse/issues.ts";
import {
  parseScontrolJobs,
  parseScontrolNodes,
  parseScontrolPartitions,
  parseScontrolReservations,
  type ScontrolJob,
  type ScontrolNode,
  type ScontrolPartition,
  type ScontrolReservation,
} from "../parse/scontrol.ts";
import { parsedQuery, type SlurmQuery, unknownJob } from "../query.ts";

/** `scontrol show job [ID]`. A job past MinJobAge is "Invalid job id": an empty list here, sacct knows it. */
export function scontrolJobs(jobId?: string): SlurmQuery<Records<ScontrolJob>> {
  const argv = ["scontrol", "show", "job", ...(jobId ? [jobId] : [])];
  return parsedQuery(argv, parseScontrolJobs, jobId ? unknownJob() : undefined);
}

export function scontrolPartitions(): SlurmQuery<Records<ScontrolPartition>> {
  return parsedQuery(["scontrol", "show", "partition"], parseScontrolPartitions);
}

/** `scontrol -d show node`: `-d` adds GresUsed, the GPUs in use with their indexes. */
export function scontrolNodes(): SlurmQuery<Records<ScontrolNode>> {
  return parsedQuery(["scontrol", "-d", "show", "node"], parseScontrolNodes);
}

/** `scontrol show reservation`: every reservation not yet over, active or ahead. */
export function scontrolReservations(): SlurmQuery<Records<ScontrolReservation>> {
  return parsedQuery(["scontrol", "show", "reservation"], parseScontrolReservations);
}

/**
 * `scontrol update JobId=ID StartTime=now`: a pending job of one's own held back by `--begin` may start as
 * soon as Slurm can place it. Nothing to parse: success is the exit status.
 */
export function scontrolBeginNow(jobId: string): SlurmQuery<true> {
  return parsedQuery(["scontrol", "update", `JobId=${jobId}`, "StartTime=now"], () => true as const);
}
