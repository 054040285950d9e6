/**
 * Every fixture under fixtures/ is parsed by the parser its name starts with (`<parser>.<source>-<what>.<ext>`):
 * to add captured output, drop the file in, list it in fixtures/README.md, and add the issues it is known for
 * below if any. Assertions on its values go in the parser's own test file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import {
  classifySbatchError,
  parseSacct,
  parseSbatchSubmit,
  parseScontrolJobs,
  parseScontrolNodes,
  parseScontrolPartitions,
  parseSinfo,
  parseSqueue,
  parseSqueueJson,
  parseSshare,
  parseTestOnly,
  type Records,
} from "../../src/slurm/index.ts";
import { fixture, fixtureNames, fixturesDir, UTC } from "./fixture.ts";

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
