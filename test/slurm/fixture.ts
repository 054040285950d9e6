import { existsSync, readdirSync, readFileSync } from "node:fs";
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

/** Raw captures from the dev cluster (Slurm 22.05.8), written by test/cluster/capture.sh with an INDEX.tsv. */
export const liveDir = join(fixturesDir, "live");

/** One command run by capture.sh: what it printed, and how it exited. */
export interface Capture {
  name: string;
  command: string;
  rc: number;
  /** "" when the command printed nothing: capture.sh keeps no empty files, but INDEX.tsv still lists the run. */
  stdout: string;
  stderr: string;
}

/** Every run INDEX.tsv lists, in capture order. */
export function liveCaptures(): Capture[] {
  return liveIndex().map(withOutput);
}

/** `live("squeue-pipe").stdout`: a capture by its INDEX.tsv name; throws for a name capture.sh never ran. */
export function live(name: string): Capture {
  const run = liveIndex().find((r) => r.name === name);
  if (!run) throw new Error(`no capture named "${name}" in ${join(liveDir, "INDEX.tsv")}`);
  return withOutput(run);
}

type Run = Pick<Capture, "name" | "command" | "rc">;

function liveIndex(): Run[] {
  const [, ...rows] = readFileSync(join(liveDir, "INDEX.tsv"), "utf8").trimEnd().split("\n");
  return rows.map((row) => {
    const [name = "", rc = "", command = ""] = row.split("\t");
    return { name, command, rc: Number(rc) };
  });
}

function withOutput(run: Run): Capture {
  return { ...run, stdout: liveText(`${run.name}.out`), stderr: liveText(`${run.name}.err`) };
}

function liveText(file: string): string {
  const path = join(liveDir, file);
  return existsSync(path) ? readFileSync(path, "utf8") : "";
}

/**
 * The parsers' time option for tests: the notes' lab printed UTC (its `%s` 1795401896 is 02:44:56), and so did the
 * dev cluster (this machine, Etc/UTC: its --test-only `06:52:57` and `%s` 1795416777 are the same instant).
 */
export const UTC = { timeZone: "UTC" };

/** `at("2026-11-23T02:40:01")`: that wall-clock time read as UTC. */
export function at(iso: string): Instant {
  return { kind: "at", epoch: Date.parse(`${iso}Z`) / 1000 };
}

export const seconds = (s: number) => ({ kind: "seconds", seconds: s }) as const;

/** A parsed GRES entry of GPUs, as parseGres returns it: `gpu("a6000", 2, { indexes: [0, 1] })`. */
export const gpu = (type: string | null, count: number, more = {}) => ({
  kind: "gres",
  name: "gpu",
  type,
  count,
  indexes: null,
  sockets: null,
  ...more,
});
