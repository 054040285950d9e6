import type { Records } from "../parse/issues.ts";
import { parseSacct, SACCT_ARGS, type SacctJob } from "../parse/sacct.ts";
import { parsedQuery, type SlurmQuery } from "../query.ts";

export interface SacctFilter {
  jobIds?: readonly string[];
  user?: string;
  /** Epoch seconds; sacct's own default is midnight today, which misses yesterday's long jobs. */
  since?: number;
}

/**
 * `sacct` in rv's format: the only source for jobs older than MinJobAge. It lags slurmctld by 1-3 s, so for
 * a job squeue still lists, trust squeue (see jobStatus).
 */
export function sacctJobs(filter: SacctFilter = {}): SlurmQuery<Records<SacctJob>> {
  const args: string[] = [...SACCT_ARGS];
  if (filter.jobIds?.length) args.push("-j", filter.jobIds.join(","));
  if (filter.user) args.push("-u", filter.user);
  if (filter.since !== undefined) args.push("-S", new Date(filter.since * 1000).toISOString().slice(0, 19));
  return parsedQuery(["sacct", ...args], parseSacct);
}
