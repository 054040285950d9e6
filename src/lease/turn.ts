import { renameSync, statSync, unlinkSync, writeFileSync } from "node:fs";

/** A turn older than this was taken by a looker that died before it recorded what it submitted. */
export const STALE_TURN_MS = 120_000;

/**
 * One looker's turn to submit what two people looking at a lease at once must not both submit: a new race, a
 * replacement segment. The turn is a file created exclusively. A stale one is moved aside by rename(2), which
 * only one taker can do, and then created afresh; so of any number of lookers exactly one gets the turn.
 */
export function takeTurn(file: string, now: Date): boolean {
  if (createExclusively(file, now)) return true;
  const age = now.getTime() - mtimeMs(file);
  if (Number.isNaN(age) || age < STALE_TURN_MS) return false;
  try {
    renameSync(file, `${file}.stale-${process.pid}`);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  unlinkSync(`${file}.stale-${process.pid}`);
  return createExclusively(file, now);
}

/** After a submission Slurm refused: the next look, after its backoff, may try again at once. */
export function giveTurnBack(file: string): void {
  unlinkSync(file);
}

function createExclusively(file: string, now: Date): boolean {
  try {
    writeFileSync(file, `${now.toISOString()}\n`, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return Number.NaN;
  }
}
