/**
 * Slurm's pending reasons (squeue %r) in words, with what a person can do about each. Slurm's own names stay
 * in front: they are what its documentation and the site's help pages use.
 */
export function explainPendingReason(reason: string | null): string {
  if (reason === null || reason === "None") return "not looked at by the scheduler yet: it will be within a minute";
  const [name = reason] = reason.split(",");
  const known = REASONS[name.trim()];
  if (known) return `${reason}: ${known}`;
  if (/Limit|GRES|GrpTRES|MaxTRES|MaxGRES|MaxJobs|MaxSubmit|QOS|Assoc/i.test(name)) {
    return `${reason}: a limit of your account or QOS holds it until your other jobs end (a shorter or smaller lease may fit under it)`;
  }
  return reason;
}

const REASONS: Record<string, string> = {
  Priority: "jobs of higher priority wait for the same GPUs; it starts after them, or sooner if backfill finds a hole",
  Resources: "it is next in line, waiting for the GPUs it needs to be freed",
  Dependency: "it waits for the segment before it to end",
  BeginTime: "it is held until its begin time, shortly before the running segment ends (overlap renewal)",
  ReqNodeNotAvail: "a node it could use is down, drained or reserved",
  PartitionTimeLimit: "its walltime exceeds the partition's MaxTime; it will never start there",
  PartitionNodeLimit: "it asks for more nodes than the partition allows; it will never start there",
  PartitionDown: "the partition is down",
  JobHeldUser: "it is held (scontrol release JOB lets it go)",
  JobHeldAdmin: "an administrator holds it",
  Reservation: "it waits for a reservation to begin",
};
