import type { Claim, Race } from "../../allocator/index.ts";
import type { Remote } from "../../remote/index.ts";
import { runQuery, scancelJobs, squeueJobs } from "../../slurm/index.ts";
import { segmentJobName } from "../segments.ts";

/**
 * Cancels every job of the race but the winner's, pending or already running (siblings started in the same
 * scheduling pass are the normal case, notes/allocation-under-contention.md): with no claim, every job. The
 * winner's are its own job and, in a race of shapes, the other parts of its shape; `segmentJobs` (the lease's
 * segments on record) are never losers. Returns the jobs Slurm took.
 */
export async function cancelLosers(
  remote: Remote,
  race: Race,
  claim: Claim | undefined,
  user: string,
  segmentJobs: readonly string[],
): Promise<string[]> {
  const named = await runQuery(remote, squeueJobs({ user, names: [segmentJobName(race.lease, 0)] }));
  const losers = loserJobIds(
    race,
    claim,
    named.records.map((j) => j.jobId),
    segmentJobs,
  );
  if (losers.length === 0) return [];
  return (await runQuery(remote, scancelJobs(losers))).signalled;
}

/**
 * The jobs of the race other than the winner's: those rv recorded, and those Slurm lists under the race's job
 * name (a job whose id never reached race.json because the laptop was closed as sbatch answered). A job on record
 * as a segment of the lease (`segmentJobs`: a part of the winning shape, one submitted afresh for a part) is none.
 */
export function loserJobIds(
  race: Race,
  claim: Claim | undefined,
  namedJobIds: readonly string[],
  segmentJobs: readonly string[] = [],
): string[] {
  const won = claim?.attempt === race.attempt ? claim.rank : null;
  const winners = new Set(race.entries.flatMap((e) => (e.rank === won && e.jobId ? [e.jobId] : [])));
  if (claim) winners.add(claim.jobId);
  for (const job of segmentJobs) winners.add(job);
  const recorded = race.entries.flatMap((e) => (e.jobId ? [e.jobId] : []));
  return [...new Set([...recorded, ...namedJobIds])].filter((id) => !winners.has(id));
}
