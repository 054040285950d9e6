import { dropOwnFile, type LeasePaths, raceTurnFile, segmentTurnFile, takeFileAcrossCalls } from "../fsqueue/index.ts";
import { readLatestRace } from "./race/store.ts";
import { readSegments } from "./segments.ts";

/**
 * A turn seen held this long (by the looker's own clock) was taken by a supervisor that died before it recorded
 * what it submitted.
 */
export const STALE_TURN_MS = 120_000;

/** A turn this process took: the turn file and this take's token in it. */
export interface Turn {
  file: string;
  token: string;
}

/** The turn to submit segment `n` (a renewal, a replacement); null while another holds it, or once n is on record. */
export function takeSegmentTurn(p: LeasePaths, n: number, now: Date): Turn | null {
  return takeTurn(p, segmentTurnFile(p, n), now, () => readSegments(p).some((s) => s.n === n));
}

/** The turn to race `attempt`; null while another holds it, or once that attempt (or a later one) is on record. */
export function takeRaceTurn(p: LeasePaths, attempt: number, now: Date): Turn | null {
  return takeTurn(p, raceTurnFile(p, attempt), now, () => (readLatestRace(p)?.attempt ?? 0) >= attempt);
}

/**
 * One supervisor's turn to submit what two supervisors of a lease at once must not both submit. Of any number of
 * them exactly one gets it (fsqueue's `takeFile`). A turn is kept after a submission: it is what stops the next
 * look, so it outlives its taker and only standing still for STALE_TURN_MS makes it stale (how long this host has
 * seen it is kept beside the turn file). A look that read the record before the last holder wrote it, and takes
 * the turn once it went stale, finds the record there when it reads it again (`recorded`) and backs off; it keeps
 * the turn, which stands for what is on record.
 */
function takeTurn(p: LeasePaths, file: string, now: Date, recorded: () => boolean): Turn | null {
  const token = takeFileAcrossCalls(p.tmp, file, now, STALE_TURN_MS);
  if (token === null || recorded()) return null;
  return { file, token };
}

/** After a submission Slurm refused: the next supervisor, after its backoff, may try again at once. */
export function giveTurnBack(turn: Turn): void {
  dropOwnFile(turn.file, turn.token);
}
