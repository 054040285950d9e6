import { type SlurmQuery, slurmCommand, slurmFailure } from "../query.ts";

export interface CancelOutcome {
  /** Jobs Slurm accepted to cancel (or signal). */
  signalled: string[];
  /** Jobs Slurm did not know, or that had already finished. */
  unknown: string[];
}

/**
 * `scancel -v IDS`: `scancel` exits 0 even for a job id it does not know, silently; with `-v` it names each
 * such id on stderr, which is the only way to tell "cancelled" from "was never there".
 */
export function scancelJobs(jobIds: readonly string[], options: { signal?: string } = {}): SlurmQuery<CancelOutcome> {
  const args = ["-v", ...(options.signal ? ["--signal", options.signal] : []), ...jobIds];
  const command = slurmCommand(["scancel", ...args]);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode !== 0) throw slurmFailure(command, result, where);
      const unknown = jobIds.filter((id) => unknownJobPattern(id).test(result.stderr));
      return { signalled: jobIds.filter((id) => !unknown.includes(id)), unknown };
    },
  };
}

function unknownJobPattern(id: string): RegExp {
  return new RegExp(
    `error on job id ${id.replace(/[^\w]/g, "\\$&")}: (Invalid job id|Job/step already completing or completed)`,
    "i",
  );
}
