import { RvError } from "../../errors.ts";
import {
  classifySbatchError,
  parseSbatchSubmit,
  parseTestOnly,
  type SbatchError,
  type TestOnly,
} from "../parse/sbatch.ts";
import { type SlurmQuery, slurmCommand, slurmFailure } from "../query.ts";

export type SubmitOutcome = { ok: true; jobId: string } | { ok: false; error: SbatchError };

/**
 * `sbatch --parsable [args]` with the batch script on stdin (never a file name the far side must read back).
 * A rejection is an outcome, not an exception: the allocator submits several strategies and some are
 * expected to be refused. Beware: Slurm 22.05 still records a rejected job as FAILED (Reason=BadConstraints)
 * under a job id sbatch never prints, so rv never learns or owns it.
 */
export function sbatchSubmit(args: readonly string[], script: string): SlurmQuery<SubmitOutcome> {
  const command = slurmCommand(["sbatch", "--parsable", ...args], script);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode === 127) throw slurmFailure(command, result, where);
      if (result.exitCode !== 0) return { ok: false, error: classifySbatchError(result.stderr) };
      const parsed = parseSbatchSubmit(result.stdout);
      if (!parsed.ok) {
        throw new RvError("cluster", `sbatch on ${where} printed no job id: ${parsed.reason}`, {
          hint: "the job may have been submitted: check squeue --me before submitting again",
        });
      }
      return { ok: true, jobId: parsed.value.jobId };
    },
  };
}

/**
 * `sbatch --test-only [args]` with the batch script on stdin, exactly as it would be submitted: Slurm's
 * estimate of when and where the job would start, on stderr. In 22.05 it ignores the backfill plan, so it is
 * a lower bound on the wait, never a promise.
 */
export function sbatchTestOnly(args: readonly string[], script: string): SlurmQuery<TestOnly> {
  const command = slurmCommand(["sbatch", "--test-only", ...args], script);
  return {
    command,
    read: (result, where) => {
      if (result.exitCode === 127) throw slurmFailure(command, result, where);
      return parseTestOnly(result.stderr);
    },
  };
}
