import { describe, expect, test } from "vitest";
import { parseSacct, SACCT_FIELDS, type SacctJob } from "../../src/slurm/index.ts";
import { at, fixture, seconds, UTC } from "./fixture.ts";

describe("parseSacct", () => {
  test("the notes' sample (no header: the columns of SACCT_FIELDS)", () => {
    expect(SACCT_FIELDS).toBe("JobID,JobName,Partition,Account,AllocTRES,State,ExitCode,Start,End,Elapsed,NodeList");
    expect(parseSacct(fixture("sacct.notes-completed.txt"), UTC)).toEqual({
      records: [
        {
          jobId: "5",
          baseJobId: "5",
          arrayTask: null,
          name: "wrap",
          partition: "gpu-a6000",
          account: "lab",
          allocTres: {
            cpus: 1,
            memMiB: 2000,
            nodes: 1,
            billing: 1,
            gres: [
              { name: "gpu", type: "a6000", count: 1 },
              { name: "gpu", type: null, count: 1 },
            ],
            other: {},
          },
          state: { kind: "completed", raw: "COMPLETED" },
          cancelledBy: null,
          exitCode: { code: 0, signal: 0 },
          start: at("2026-11-23T02:38:19"),
          end: at("2026-11-23T02:38:21"),
          elapsed: seconds(2),
          nodes: ["a6000-01"],
        },
      ],
      issues: [],
    });
  });

  const { records, issues } = parseSacct(fixture("sacct.hand-states.txt"), UTC);
  const job = (id: string) => records.find((j) => j.jobId === id) as SacctJob;

  test("every terminal state, and a state rv does not know", () => {
    expect(records.map((j) => [j.jobId, j.state.kind, j.cancelledBy, j.exitCode])).toEqual([
      ["80", "cancelled", "0", { code: 0, signal: 15 }],
      ["81", "cancelled", "0", { code: 0, signal: 0 }],
      ["82", "failed", null, { code: 1, signal: 0 }],
      ["83", "timeout", null, { code: 0, signal: 0 }],
      ["84", "node_fail", null, { code: 0, signal: 0 }],
      ["85", "preempted", null, { code: 0, signal: 0 }],
      ["86", "out_of_memory", null, { code: 0, signal: 125 }],
      ["87", "running", null, { code: 0, signal: 0 }],
      ["88", "pending", null, { code: 0, signal: 0 }],
      ["89_1", "completed", null, { code: 0, signal: 0 }],
      ["90", "completed", null, { code: 0, signal: 0 }],
      ["91", "other", null, { code: 0, signal: 0 }],
    ]);
  });

  test("the race loser cancelled while pending: Start == End, no AllocTRES, no nodes", () => {
    expect(job("81")).toMatchObject({ allocTres: null, nodes: [], start: job("81").end, elapsed: seconds(0) });
  });

  test("running and pending: Unknown ends and starts, an empty partition (sacct lags slurmctld)", () => {
    expect(job("87")).toMatchObject({ start: at("2026-11-23T02:50:00"), end: { kind: "unknown" } });
    expect(job("88")).toMatchObject({ partition: null, start: { kind: "unknown" }, nodes: [] });
    expect(job("91")).toMatchObject({ start: { kind: "none" }, state: { raw: "SOME_NEW_STATE" } });
  });

  test("hostlists, array tasks, day-long elapsed, memory in G", () => {
    expect(job("84").nodes).toEqual(["a6000-01", "a6000-02"]);
    expect(job("89_1")).toMatchObject({ baseJobId: "89", arrayTask: "1" });
    expect(job("90")).toMatchObject({ elapsed: seconds(90062), allocTres: { memMiB: 1024000, cpus: 128 } });
  });

  test("a garbage line is skipped and reported", () => {
    expect(issues).toEqual([
      { where: "line 14", text: "garbage|line", reason: "2 fields where 11 were expected", skipped: true },
    ]);
  });

  test("-p (trailing '|'), a bad exit code, a bad job id", () => {
    const text = `${SACCT_FIELDS.replaceAll(",", "|")}|\n7|x|p|a||COMPLETED|zero|None|None|00:00:00|n1|\nX|x|p|a||FAILED|1:0|None|None|00:00:00|n1|\n`;
    const parsed = parseSacct(text);
    expect(parsed.records).toMatchObject([{ jobId: "7", exitCode: null, nodes: ["n1"] }]);
    expect(parsed.issues.map((i) => [i.where, i.skipped])).toEqual([
      ["line 2", false],
      ["line 3", true],
    ]);
  });

  test("accounting disabled: sacct's message is no job", () => {
    const parsed = parseSacct("Slurm accounting storage is disabled\n");
    expect(parsed.records).toEqual([]);
    expect(parsed.issues).toMatchObject([{ skipped: true }]);
  });
});
