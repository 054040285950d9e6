import { readFileSync } from "node:fs";
import { ClaimSchema, RaceSchema } from "../../allocator/index.ts";
import { deferred } from "../../deferred.ts";
import type { LeasePaths } from "../../fsqueue/index.ts";
import { z } from "../../zod.ts";
import { racerFile, readClaim, readLatestRace } from "./store.ts";

/** How much of each job's Slurm output `rv lease show --alloc` brings back: its end says why it stopped. */
const TAIL_LINES = 8;

export const RaceFilesSchema = deferred(() =>
  z.object({
    race: RaceSchema,
    claim: z.nullable(ClaimSchema),
    jobs: z.array(
      z.object({
        rank: z.number(),
        /** In a race of shapes, which part of its shape the job is (RaceEntry.part). */
        part: z._default(z.number(), 0),
        script: z.string(),
        output: z.string(),
        outputTail: z.array(z.string()),
      }),
    ),
  }),
);
export type RaceFiles = z.infer<typeof RaceFilesSchema>;

/** The newest race in full, with each job's batch script and Slurm output (paths on the cluster) and its last lines. */
export function readRaceFiles(p: LeasePaths): RaceFiles | null {
  const race = readLatestRace(p);
  if (!race) return null;
  const jobs = race.entries.map((entry) => {
    const output = racerFile(p, race.attempt, entry, "out");
    const script = racerFile(p, race.attempt, entry, "sh");
    return { rank: entry.rank, part: entry.part, script, output, outputTail: tail(output) };
  });
  return { race, claim: readClaim(p) ?? null, jobs };
}

function tail(file: string): string[] {
  try {
    return readFileSync(file, "utf8").trimEnd().split("\n").slice(-TAIL_LINES);
  } catch {
    return []; // not started yet, or refused: Slurm never wrote it
  }
}
