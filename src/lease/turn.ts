import { dropFile, takeFile } from "../fsqueue/index.ts";

/** A turn older than this was taken by a looker that died before it recorded what it submitted. */
export const STALE_TURN_MS = 120_000;

/**
 * One looker's turn to submit what two people looking at a lease at once must not both submit: a new race, a
 * replacement segment. Of any number of lookers exactly one gets it (fsqueue's `takeFile`).
 */
export function takeTurn(file: string, now: Date): boolean {
  return takeFile(file, now, STALE_TURN_MS);
}

/** After a submission Slurm refused: the next look, after its backoff, may try again at once. */
export function giveTurnBack(file: string): void {
  dropFile(file);
}
