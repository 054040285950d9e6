/**
 * Every fixture under fixtures/ is parsed by the parser its name starts with (`<parser>.<source>-<what>.<ext>`):
 * to add captured output, drop the file in, list it in fixtures/README.md, and add the issues it is known for
 * below if any. Assertions on its values go in the parser's own test file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import {
  classifySbatchError,
  parseSacct,
  parseSbatchSubmit,
  parseScontrolJobs,
  parseScontrolNodes,
  parseScontrolPartitions,
  parseScontrolReservations,
  parseSinfo,
  parseSqueue,
  parseSqueueJson,
  parseSshare,
  parseTestOnly,
  type Records,
} from "../../src/slurm/index.ts";
import { fixture, fixtureNames, fixturesDir, live, liveCaptures, UTC } from "./fixture.ts";

type Summary = { records: number; issues: number };
const summary = (r: Records<unknown>): Summary => ({ records: r.records.length, issues: r.issues.length });

const parsers: Record<string, (text: string) => Summary> = {
  squeue: (t) => summary(parseSqueue(t, UTC)),
  "squeue-json": (t) => summary(parseSqueueJson(t)),
  sinfo: (t) => summary(parseSinfo(t)),
  sacct: (t) => summary(parseSacct(t, UTC)),
  sshare: (t) => summary(parseSshare(t)),
  "scontrol-job": (t) => summary(parseScontrolJobs(t, UTC)),
  "scontrol-partition": (t) => summary(parseScontrolPartitions(t)),
  "scontrol-node": (t) => summary(parseScontrolNodes(t)),
  "scontrol-reservation": (t) => summary(parseScontrolReservations(t, UTC)),
  "sbatch-submit": (t) => (parseSbatchSubmit(t).ok ? { records: 1, issues: 0 } : { records: 0, issues: 1 }),
  "sbatch-test-only": (t) => ({ records: parseTestOnly(t, UTC).kind === "estimate" ? 1 : 0, issues: 0 }),
  "sbatch-error": (t) => ({ records: classifySbatchError(t).message === "" ? 0 : 1, issues: 0 }),
};

/** Fixtures that carry lines the parser must report (garbage on purpose, or the notes author's annotation). */
const knownIssues: Record<string, number> = {
  "squeue.notes-start-plan.txt": 1,
  "squeue.hand-pending.txt": 2,
  "squeue-json.hand-22.05.json": 1,
  "sinfo.hand-nodes.txt": 1,
  "sacct.hand-states.txt": 1,
  "sshare.hand-tree.txt": 1,
  "scontrol-job.hand-oneline.txt": 1,
  "scontrol-partition.hand-lab.txt": 1,
};

test.each(fixtureNames())("%s parses, with only the issues it is known for", (name) => {
  const parse = parsers[name.split(".")[0] ?? ""];
  if (!parse) throw new Error(`${name}: no parser named "${name.split(".")[0]}" (see fixtures/README.md)`);
  const result = parse(fixture(name));
  expect(result.records).toBeGreaterThan(0);
  expect(result.issues).toBe(knownIssues[name] ?? 0);
});

/**
 * Every run in live/INDEX.tsv: the parser that reads it, the stream it reads (the tables are on stdout; sbatch's
 * errors and --test-only answers on stderr), and how many records and issues it gives. `null`: no rv parser reads
 * it. Value assertions are in the parsers' test files, under "live captures".
 */
type LiveUse = { parser: string; from: "stdout" | "stderr"; records: number; issues: number } | null;
const use = (parser: string, records: number, issues = 0, from: "stdout" | "stderr" = "stdout"): LiveUse => ({
  parser,
  from,
  records,
  issues,
});
const liveUses: Record<string, LiveUse> = {
  "sinfo-N-idle": use("sinfo", 8),
  "sinfo-default": use("sinfo", 5),
  "scontrol-show-partition": use("scontrol-partition", 5),
  "sbatch-parsable": use("sbatch-submit", 1),
  "sbatch-plain": use("sbatch-submit", 1),
  "sbatch-rejected": use("sbatch-error", 1, 0, "stderr"),
  "sinfo-N-busy": use("sinfo", 8),
  "sinfo-O-gresused": use("sinfo", 8),
  // -O's aligned columns without their header are not SINFO_FORMAT: every line is reported.
  "sinfo-O-gresused-noheader": use("sinfo", 0, 8),
  "sinfo-json": null, // rv reads sinfo's text (SINFO_FORMAT, or -O with header)
  "squeue-pipe": use("squeue", 7),
  "squeue-pipe-header": use("squeue", 7),
  "squeue-pipe-all": use("squeue", 15),
  "squeue-reason": use("squeue", 7),
  "squeue-default": use("squeue", 7),
  "squeue-start": use("squeue", 2),
  "squeue-json": use("squeue-json", 15),
  "squeue-finished-id": use("squeue", 0), // prints nothing
  // `-o '%i|%T'` without header is not SQUEUE_FORMAT: the line is reported.
  "squeue-finished-id-all": use("squeue", 0, 1),
  "squeue-unknown-id": use("squeue", 0), // rc 1, the error on stderr
  sacct: use("sacct", 15),
  "sacct-json": null, // rv reads `sacct -X -P` (SACCT_ARGS)
  sshare: use("sshare", 6),
  "sshare-a": use("sshare", 7),
  "scontrol-show-job": use("scontrol-job", 15),
  "scontrol-show-job-running": use("scontrol-job", 1),
  "scontrol-show-job-pending": use("scontrol-job", 1),
  "scontrol-show-job-oneliner": use("scontrol-job", 15),
  "scontrol-show-job-unknown": use("scontrol-job", 0), // rc 1, the error on stderr
  "scontrol-show-partition-busy": use("scontrol-partition", 5),
  "scontrol-show-node": use("scontrol-node", 8),
  "scontrol-d-show-node": use("scontrol-node", 8),
  "scontrol-show-node-oneliner": use("scontrol-node", 8),
  "test-only-ok-now": use("sbatch-test-only", 1, 0, "stderr"),
  "test-only-ok-later": use("sbatch-test-only", 1, 0, "stderr"),
  "test-only-ok-epoch": use("sbatch-test-only", 1, 0, "stderr"),
  "test-only-ok-multinode": use("sbatch-test-only", 1, 0, "stderr"),
  "test-only-err-config": use("sbatch-error", 1, 0, "stderr"),
  "test-only-err-type": use("sbatch-error", 1, 0, "stderr"),
  "test-only-err-partition": use("sbatch-error", 1, 0, "stderr"),
  "scancel-unknown": null, // silent: nothing to parse (see below)
  "scancel-unknown-v": null,
  "sacct-after-cancel": use("sacct", 15),
  "sacct-steps": use("sacct", 27),
  "squeue-all-after-cancel": use("squeue", 15),
  "sinfo-N-after": use("sinfo", 8),
  "scontrol-show-reservation-none": use("scontrol-reservation", 0),
  "squeue-reason-reserved": use("squeue", 1),
  "scontrol-show-reservation": use("scontrol-reservation", 3),
  "scontrol-show-reservation-wallclock": use("scontrol-reservation", 3),
  "scontrol-show-reservation-oneliner": use("scontrol-reservation", 3),
};

describe("live captures (live/INDEX.tsv, Slurm 22.05.8)", () => {
  const captured = liveCaptures().map((c) => c.name);

  test("every capture is mapped to its parser, and every mapped name was captured", () => {
    expect(Object.keys(liveUses).sort()).toEqual([...captured].sort());
  });

  test.each(captured.filter((name) => liveUses[name]))(
    "%s parses fully, with only the issues it is known for",
    (name) => {
      const { parser, from, records, issues } = liveUses[name] as NonNullable<LiveUse>;
      const parse = parsers[parser] as (text: string) => Summary;
      expect(parse(live(name)[from])).toEqual({ records, issues });
    },
  );

  test("scancel of an unknown id exits 0 and prints nothing; only -v shows the error, still with rc 0", () => {
    // No parser: a wrapper cannot learn from scancel whether the job existed; it must ask squeue or sacct.
    expect(live("scancel-unknown")).toMatchObject({ rc: 0, stdout: "", stderr: "" });
    expect(live("scancel-unknown-v")).toMatchObject({
      rc: 0,
      stderr: expect.stringContaining("Kill job error on job id 999999: Invalid job id specified"),
    });
  });
});

test("every fixture is listed in fixtures/README.md, and every listed file exists", () => {
  const readme = readFileSync(join(fixturesDir, "README.md"), "utf8");
  const listed = [...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
  expect([...listed].sort()).toEqual(fixtureNames().sort());
});

/** A small deterministic generator of hostile text: separators, brackets, states, numbers, newlines. */
function* garbage(count: number): Generator<string> {
  const pieces = ["|", "=", "[", "]", "(", ")", ",", ":", "-", "*", "~", "+", " ", "\n", "   ", "1", "07", "N/A"];
  pieces.push("JOBID", "NODELIST", "Account", "JobId=", "gres:gpu:", "IDX:", "idle", "RUNNING", "{", "}", '"jobs"');
  let seed = 42;
  for (let i = 0; i < count; i++) {
    let text = "";
    const length = i % 40;
    for (let k = 0; k < length; k++) {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      text += pieces[seed % pieces.length];
    }
    yield text;
  }
  yield "";
  yield "\u0000\uFFFD";
  yield "x".repeat(100_000);
  yield "|".repeat(10_000);
  yield "a[0-99999999]";
  yield '{"jobs": [null, 1, "x", {"job_id": -1, "nodes": "a[9-1]"}]}';
}

test.each(Object.keys(parsers))("%s never throws on garbage", (name) => {
  const parse = parsers[name] as (text: string) => Summary;
  for (const text of garbage(300)) expect(() => parse(text)).not.toThrow();
});
