import { mkdirSync } from "node:fs";
import { type Claim, ClaimSchema, type Race, type RaceEntry, RaceSchema } from "../../allocator/index.ts";
import {
  type LeasePaths,
  listEntries,
  raceFile,
  raceStartedDir,
  readRecord,
  tryReadRecord,
  winnerFile,
  writeRecordAtomic,
} from "../../fsqueue/index.ts";

/** The newest attempt's race, or undefined for a lease that never raced (a local lease, an old record). */
export function readLatestRace(p: LeasePaths): Race | undefined {
  const attempts = listEntries(p.alloc)
    .filter((name) => /^\d+$/.test(name))
    .map(Number)
    .sort((a, b) => b - a);
  for (const attempt of attempts) {
    const parsed = tryReadRecord(raceFile(p, attempt, "race.json"), RaceSchema);
    if (parsed?.ok) return parsed.value;
  }
  return undefined;
}

export function writeRace(p: LeasePaths, race: Race): void {
  mkdirSync(raceStartedDir(p, race.attempt), { recursive: true, mode: 0o700 });
  writeRecordAtomic(p.tmp, raceFile(p, race.attempt, "race.json"), race);
}

export function readClaim(p: LeasePaths): Claim | undefined {
  const parsed = tryReadRecord(winnerFile(p), ClaimSchema);
  return parsed?.ok ? parsed.value : undefined;
}

/** The ranks whose job has started in this attempt (`started/<rank>.json`), best first. */
export function readStartedRanks(p: LeasePaths, attempt: number): number[] {
  return listEntries(raceStartedDir(p, attempt))
    .filter((name) => /^\d+\.json$/.test(name))
    .map((name) => Number.parseInt(name, 10))
    .sort((a, b) => a - b);
}

export function markStarted(p: LeasePaths, attempt: number, rank: number, jobId: string, at: Date): void {
  const file = `${raceStartedDir(p, attempt)}/${rank}.json`;
  writeRecordAtomic(p.tmp, file, { jobId, at: at.toISOString() });
}

/** Creates `alloc/winner.json` by link(2): true for the one caller that created it. */
export function linkClaim(p: LeasePaths, claim: Claim): boolean {
  try {
    writeRecordAtomic(p.tmp, winnerFile(p), claim, true);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

export function readRace(p: LeasePaths, attempt: number): Race {
  return readRecord(raceFile(p, attempt, "race.json"), RaceSchema);
}

/** A racer's batch script and Slurm output: `<rank>.sh` and `<rank>.out`; a part's in a race of shapes, `<rank>-<part>.*`. */
export function racerFile(
  p: LeasePaths,
  attempt: number,
  racer: Pick<RaceEntry, "rank" | "parts" | "part">,
  ext: "sh" | "out",
): string {
  const name = racer.parts > 1 ? `${racer.rank}-${racer.part}` : String(racer.rank);
  return raceFile(p, attempt, `${name}.${ext}`);
}
