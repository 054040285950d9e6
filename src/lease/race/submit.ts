import type { Remote } from "../../remote/index.ts";
import { runQueries, type SbatchError, type SubmitOutcome, sbatchSubmit } from "../../slurm/index.ts";

export interface RaceSubmission {
  args: string[];
  script: string;
}

/** Between rounds of retried submissions: 1 s, 2 s, 4 s, then the refusal stands. */
export const BACKOFF_MS = [1000, 2000, 4000] as const;

/** A refusal that may pass if asked again shortly: a per-user submission limit, a controller too busy to answer. */
export function mayPassLater(error: SbatchError): boolean {
  return error.kind === "qos_or_limit" || /timed out|try again|busy|unable to contact/i.test(error.message);
}

/**
 * Submits every strategy's job in one round trip, then retries only those refused for a reason that may
 * pass, with exponential backoff. `onRound` sees each round's outcomes as they come (to record job ids at once).
 */
export async function submitRace(
  remote: Remote,
  submissions: readonly RaceSubmission[],
  onRound: (outcomes: ReadonlyMap<number, SubmitOutcome>) => void,
  sleep: (ms: number) => Promise<void>,
): Promise<Map<number, SubmitOutcome>> {
  const outcomes = new Map<number, SubmitOutcome>();
  let pending = submissions.map((_, i) => i);
  for (let round = 0; pending.length > 0; round += 1) {
    const answers = await runQueries(
      remote,
      pending.map((i) => sbatchSubmit(submissions[i]?.args ?? [], submissions[i]?.script ?? "")),
    );
    for (const [k, i] of pending.entries()) outcomes.set(i, answers[k] as SubmitOutcome);
    onRound(outcomes);
    const wait = BACKOFF_MS[round];
    pending = pending.filter((i) => {
      const outcome = outcomes.get(i);
      return wait !== undefined && outcome?.ok === false && mayPassLater(outcome.error);
    });
    if (pending.length > 0 && wait !== undefined) await sleep(wait);
  }
  return outcomes;
}
