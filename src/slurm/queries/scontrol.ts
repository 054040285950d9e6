import type { Records } from "../parse/issues.ts";
import {
  parseScontrolJobs,
  parseScontrolNodes,
  parseScontrolPartitions,
  type ScontrolJob,
  type ScontrolNode,
  type ScontrolPartition,
} from "../parse/scontrol.ts";
import { type SlurmQuery, slurmCommand, slurmFailure } from "../query.ts";

/** `scontrol show job [ID]`. A job past MinJobAge is "Invalid job id": an empty list here, sacct knows it. */
export function scontrolJobs(jobId?: string): SlurmQuery<Records<ScontrolJob>> {
  const command = slurmCommand(["scontrol", "show", "job", ...(jobId ? [jobId] : [])]);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode === 0) return parseScontrolJobs(result.stdout);
      if (jobId && /invalid job id/i.test(result.stderr)) return { records: [], issues: [] };
      throw slurmFailure(command, result, where);
    },
  };
}

export function scontrolPartitions(): SlurmQuery<Records<ScontrolPartition>> {
  const command = slurmCommand(["scontrol", "show", "partition"]);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode !== 0) throw slurmFailure(command, result, where);
      return parseScontrolPartitions(result.stdout);
    },
  };
}

/** `scontrol -d show node`: `-d` adds GresUsed, the GPUs in use with their indexes. */
export function scontrolNodes(): SlurmQuery<Records<ScontrolNode>> {
  const command = slurmCommand(["scontrol", "-d", "show", "node"]);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode !== 0) throw slurmFailure(command, result, where);
      return parseScontrolNodes(result.stdout);
    },
  };
}
