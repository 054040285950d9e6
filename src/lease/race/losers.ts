import type { Race } from "../../allocator/index.ts";
import type { Remote } from "../../remote/index.ts";
import { runQuery, scancelJobs, squeueJobs } from "../../slurm/index.ts";
import { segmentJobName } from "../segments.ts";

/**
 * Cancels every job of the race but the winner, pending or already running (siblings started in the same
 * scheduling pass are the normal case, notes/allocation-under-contention.md). Returns the jobs Slurm took.
 */
export async function cancelLosers(remote: Remote, race: Race, winnerJobId: string, user: string): Promise<string[]> {
  const named = await runQuery(remote, squeueJobs({ user, names: [segmentJobName(race.lease, 0)] }));
  const losers = loserJobIds(
    race,
    winnerJobId,
    named.records.map((j) => j.jobId),
  );
  if (losers.length === 0) return [];
  return (await runQuery(remote, scancelJobs(losers))).signalled;
}

/**
 * The jobs of the race other than the winner: those rv recorded, and those Slurm lists under the race's job
 * name (a job whose id never reached race.json because the laptop was closed as sbatch answered).
 */
export function loserJobIds(race: Race, winnerJobId: string, namedJobIds: readonly string[]): string[] {
  const recorded = race.entries.flatMap((e) => (e.jobId ? [e.jobId] : []));
  return [...new Set([...recorded, ...namedJobIds])].filter((id) => id !== winnerJobId);
}
