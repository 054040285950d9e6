import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Instant } from "../../src/slurm/index.ts";

/** Fixtures are verbatim command output, named `<parser>.<source>-<what>.<ext>` (see fixtures/README.md). */
export const fixturesDir = join(import.meta.dirname, "fixtures");

export function fixture(name: string): string {
  return readFileSync(join(fixturesDir, name), "utf8");
}

/** The curated fixtures; `live/` holds raw captures from the dev cluster (test/cluster/capture.sh). */
export function fixtureNames(): string[] {
  return readdirSync(fixturesDir, { withFileTypes: true })
    .filter((entry) => entry.isFile() && entry.name !== "README.md")
    .map((entry) => entry.name);
}

/** The parsers' time option for tests: the notes' lab printed UTC (its `%s` 1795401896 is 02:44:56). */
export const UTC = { timeZone: "UTC" };

/** `at("2026-11-23T02:40:01")`: that wall-clock time read as UTC. */
export function at(iso: string): Instant {
  return { kind: "at", epoch: Date.parse(`${iso}Z`) / 1000 };
}

export const seconds = (s: number) => ({ kind: "seconds", seconds: s }) as const;
