import { describe, expect, test } from "vitest";
import { parseSacct, SACCT_ARGS, SACCT_FIELDS, type SacctJob, tresGpus } from "../../src/slurm/index.ts";
import { at, fixture, live, seconds, UTC } from "./fixture.ts";

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

describe("parseSacct on live captures (Slurm 22.05.8)", () => {
  const readSacct = (name: string) => parseSacct(live(name).stdout, UTC);
  const jobOf = (jobs: SacctJob[], id: string) => jobs.find((j) => j.jobId === id) as SacctJob;

  test("rv's own fields while jobs run and pend: GPUs from AllocTRES, Unknown ends and starts", () => {
    expect(live("sacct").command).toBe(`sacct ${SACCT_ARGS.join(" ")}`);
    const { records, issues } = readSacct("sacct");
    expect(issues).toEqual([]);
    expect(records.map((j) => j.jobId)).toEqual(Array.from({ length: 15 }, (_, i) => String(i + 1)));
    expect(jobOf(records, "7")).toEqual({
      jobId: "7",
      baseJobId: "7",
      arrayTask: null,
      name: "fx-a100",
      partition: "gpu-a100-80",
      account: "lab",
      allocTres: {
        cpus: 1,
        memMiB: 2000,
        nodes: 1,
        billing: 1,
        gres: [
          { name: "gpu", type: "a100_80g", count: 2 },
          { name: "gpu", type: null, count: 2 },
        ],
        other: {},
      },
      state: { kind: "running", raw: "RUNNING" },
      cancelledBy: null,
      exitCode: { code: 0, signal: 0 },
      start: at("2026-11-23T06:37:50"),
      end: { kind: "unknown" },
      elapsed: seconds(7),
      nodes: ["a100-01"],
    });
    const gpus = (id: string) => {
      const tres = jobOf(records, id).allocTres;
      return tres && tresGpus(tres);
    };
    expect([gpus("6"), gpus("8"), gpus("10"), gpus("9")]).toEqual([
      { total: 4, byType: { a6000: 4 } },
      { total: 3, byType: { "1g.10gb": 3 } },
      { total: 1, byType: { rtx3090: 1 } },
      { total: 0, byType: {} },
    ]);
    expect(jobOf(records, "12")).toMatchObject({
      state: { kind: "pending" },
      partition: "gpu-a6000",
      allocTres: null,
      start: { kind: "unknown" },
      end: { kind: "unknown" },
      nodes: [],
    });
    expect(jobOf(records, "5")).toMatchObject({ state: { kind: "failed" }, exitCode: { code: 3, signal: 0 } });
  });

  test("the rejected submission has a FAILED record: exit 1, no AllocTRES, no nodes", () => {
    expect(jobOf(readSacct("sacct").records, "15")).toMatchObject({
      name: "fx-rejected",
      state: { kind: "failed" },
      exitCode: { code: 1, signal: 0 },
      allocTres: null,
      nodes: [],
      start: at("2026-11-23T06:37:51"),
      end: at("2026-11-23T06:37:51"),
    });
  });

  test("after scancel: running jobs keep their AllocTRES and nodes; pending ones have Start None, no TRES", () => {
    const { records, issues } = readSacct("sacct-after-cancel");
    expect(issues).toEqual([]);
    const cancelled = records.filter((j) => j.state.kind === "cancelled").map((j) => [j.jobId, j.cancelledBy]);
    expect(cancelled).toEqual(["6", "7", "8", "9", "10", "11", "12"].map((id) => [id, "0"]));
    expect(jobOf(records, "8")).toMatchObject({
      state: { raw: "CANCELLED by 0" },
      exitCode: { code: 0, signal: 0 },
      end: at("2026-11-23T06:37:58"),
      elapsed: seconds(8),
      nodes: ["mig-01"],
      allocTres: {
        gres: [
          { type: "1g.10gb", count: 3 },
          { type: null, count: 3 },
        ],
      },
    });
    expect(jobOf(records, "11")).toMatchObject({
      allocTres: null,
      start: { kind: "none" },
      end: at("2026-11-23T06:37:58"),
      elapsed: seconds(0),
      nodes: [],
    });
  });

  test("with steps (no -X): a step's id names its job, and only the batch step shows the kill signal", () => {
    const { records, issues } = readSacct("sacct-steps");
    expect(issues).toEqual([]);
    expect(records).toHaveLength(27);
    expect(jobOf(records, "6.batch")).toMatchObject({ baseJobId: "6", name: "batch", state: { kind: "cancelled" } });
    expect([jobOf(records, "6").exitCode, jobOf(records, "6.batch").exitCode]).toEqual([
      { code: 0, signal: 0 },
      { code: 0, signal: 15 },
    ]);
    expect(records.filter((j) => j.baseJobId === "11").map((j) => j.jobId)).toEqual(["11"]);
    expect(jobOf(records, "5.batch").exitCode).toEqual({ code: 3, signal: 0 });
  });
});
