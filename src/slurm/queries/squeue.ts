import type { Records } from "../parse/issues.ts";
import { parseSqueue, SQUEUE_ARGS, type SqueueJob } from "../parse/squeue.ts";
import { parsedQuery, type SlurmQuery, unknownJob } from "../query.ts";

export interface SqueueFilter {
  /** Only these jobs. Slurm errors once any of them has aged out (MinJobAge): rv reads that as "not listed". */
  jobIds?: readonly string[];
  user?: string;
  names?: readonly string[];
  partitions?: readonly string[];
  /** Only jobs in these states, as Slurm names them (`PENDING`, `RUNNING`, ...). */
  states?: readonly string[];
  /** Also jobs that finished within MinJobAge (`-t all`); by default only pending and running ones. */
  includeFinished?: boolean;
}

/**
 * `squeue` in rv's format, filtered by Slurm itself. (The text form, not `--json`: in 22.05 `squeue --json`
 * ignores every filter and returns all jobs slurmctld knows.)
 */
export function squeueJobs(filter: SqueueFilter = {}): SlurmQuery<Records<SqueueJob>> {
  const args: string[] = [...SQUEUE_ARGS];
  if (filter.jobIds?.length) args.push("-j", filter.jobIds.join(","));
  if (filter.user) args.push("-u", filter.user);
  if (filter.names?.length) args.push("-n", filter.names.join(","));
  if (filter.partitions?.length) args.push("-p", filter.partitions.join(","));
  if (filter.includeFinished) args.push("-t", "all");
  else if (filter.states?.length) args.push("-t", filter.states.join(","));
  return parsedQuery(["squeue", ...args], parseSqueue, filter.jobIds?.length ? unknownJob() : undefined);
}
