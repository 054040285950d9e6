import { dropFile, takeFile } from "../fsqueue/index.ts";

/** A turn older than this was taken by a supervisor that died before it recorded what it submitted. */
export const STALE_TURN_MS = 120_000;

/**
 * One supervisor's turn to submit what two supervisors of a lease at once must not both submit: a new race, a
 * segment (a renewal, a replacement). Of any number of them exactly one gets it (fsqueue's `takeFile`).
 */
export function takeTurn(file: string, now: Date): boolean {
  return takeFile(file, now, STALE_TURN_MS);
}

/** After a submission Slurm refused: the next supervisor, after its backoff, may try again at once. */
export function giveTurnBack(file: string): void {
  dropFile(file);
}
