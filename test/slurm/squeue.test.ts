import { describe, expect, test } from "vitest";
import {
  filterJobs,
  parseSqueue,
  parseSqueueJson,
  SQUEUE_ARGS,
  SQUEUE_FORMAT,
  type SqueueJob,
} from "../../src/slurm/index.ts";
import { at, fixture, gpu, live, seconds, UTC } from "./fixture.ts";

const byId = (jobs: SqueueJob[], id: string) => jobs.find((j) => j.jobId === id);

describe("parseSqueue", () => {
  test("the notes' SQUEUE_FORMAT sample, whole", () => {
    expect(SQUEUE_FORMAT).toBe("%i|%P|%j|%u|%T|%M|%l|%L|%S|%e|%D|%R|%b");
    expect(parseSqueue(fixture("squeue.notes-format.txt"), UTC)).toEqual({
      records: [
        {
          jobId: "64",
          baseJobId: "64",
          arrayTask: null,
          partition: "standard",
          name: "selfresub",
          user: "root",
          state: { kind: "running", raw: "RUNNING" },
          elapsed: seconds(5),
          timeLimit: seconds(120),
          timeLeft: seconds(115),
          start: at("2026-11-23T02:40:36"),
          end: at("2026-11-23T02:42:36"),
          nodeCount: 1,
          nodes: ["cpu-01"],
          schedNodes: [],
          reason: null,
          tresPerNode: [],
          gresDetail: null,
        },
      ],
      issues: [],
    });
  });

  test("the notes' pending job: %S/%e are the backfill plan, %r the reason; absent columns are null", () => {
    const { records, issues } = parseSqueue(fixture("squeue.notes-pending-reason.txt"), UTC);
    expect(issues).toEqual([]);
    expect(records[0]).toMatchObject({
      jobId: "11",
      state: { kind: "pending" },
      reason: "Resources",
      start: at("2026-11-23T02:51:53"),
      end: at("2026-11-23T03:01:53"),
      timeLimit: seconds(600),
      tresPerNode: [{ kind: "gres", name: "gpu", type: "a6000", count: 2 }],
      partition: null,
      nodes: [],
    });
    expect(records[1]).toMatchObject({ jobId: "10", reason: null, tresPerNode: [{ count: 4 }] });
  });

  test("the notes' default view (aligned, short states, reason in parentheses)", () => {
    const { records, issues } = parseSqueue(fixture("squeue.notes-default.txt"), UTC);
    expect(issues).toEqual([]);
    expect(records.map((j) => [j.jobId, j.state.kind, j.name, j.reason, j.nodes, j.elapsed])).toEqual([
      ["11", "pending", "waiter", "Resources", [], seconds(0)],
      ["10", "running", "hog", null, ["a6000-01", "a6000-02"], seconds(5)],
    ]);
  });

  test("the notes' --start view: a short row, and the author's '<- backfilled' note reported, not thrown", () => {
    const { records, issues } = parseSqueue(fixture("squeue.notes-start-plan.txt"), UTC);
    expect(records.map((j) => [j.jobId, j.state.kind, j.timeLimit, j.start, j.reason, j.nodes])).toEqual([
      ["50", "pending", seconds(300), at("2026-11-23T02:45:59"), "Resource", []],
      ["58", "pending", seconds(600), at("2026-11-23T02:50:50"), "Priority", []],
      ["57", "running", seconds(180), at("2026-11-23T02:40:11"), null, []],
      ["46", "running", seconds(360), at("2026-11-23T02:39:59"), null, ["a6000-02"]],
    ]);
    expect(issues).toMatchObject([{ where: "line 4", skipped: false, reason: expect.stringContaining("space") }]);
  });

  test("pending reasons, N/A fields, arrays, a name with '|', unknown states, garbage lines", () => {
    const { records, issues } = parseSqueue(fixture("squeue.hand-pending.txt"), UTC);
    expect(records.map((j) => [j.jobId, j.state.kind, j.reason])).toEqual([
      ["120", "pending", "Resources"],
      ["121", "pending", "Priority"],
      ["122", "pending", "PartitionTimeLimit"],
      ["123_4", "running", null],
      ["123_[5-9]", "pending", "QOSMaxGRESPerUser"],
      ["124", "running", null],
      ["125", "pending", "ReqNodeNotAvail, UnavailableNodes:rtx3090-01"],
      ["126", "pending", "Dependency"],
      ["127", "other", null],
    ]);
    expect(byId(records, "121")).toMatchObject({ start: { kind: "none" }, end: { kind: "none" } });
    expect(byId(records, "122")).toMatchObject({ tresPerNode: [], timeLimit: seconds(8 * 86400) });
    expect(byId(records, "123_4")).toMatchObject({
      baseJobId: "123",
      arrayTask: "4",
      timeLimit: { kind: "unlimited" },
    });
    expect(byId(records, "123_[5-9]")).toMatchObject({ baseJobId: "123", arrayTask: "[5-9]" });
    expect(byId(records, "124")).toMatchObject({
      name: "a|b|c",
      user: "root",
      elapsed: seconds(93784),
      timeLeft: seconds(79016),
      nodes: ["a100-01", "a100-02"],
      nodeCount: 2,
    });
    expect(byId(records, "125")).toMatchObject({ timeLimit: { kind: "partition_limit" } });
    expect(byId(records, "127")).toMatchObject({ state: { kind: "other", raw: "SOMETHING_NEW" }, reason: null });
    expect(issues).toMatchObject([
      { where: "line 10", skipped: true, reason: "1 fields where 13 were expected" },
      { where: "line 11", skipped: true, reason: "4 fields where 13 were expected" },
    ]);
  });

  test("a line with a bad job id or a bad node count is reported", () => {
    const text =
      "x|p|n|u|RUNNING|0:01|1:00|0:59|N/A|N/A|1|a1|N/A\n9|p|n|u|RUNNING|0:01|1:00|0:59|N/A|N/A|one|a[1|N/A\n";
    const { records, issues } = parseSqueue(text);
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ jobId: "9", nodeCount: null, nodes: [] });
    expect(issues.map((i) => [i.where, i.skipped])).toEqual([
      ["line 1", true],
      ["line 2", false],
      ["line 2", false],
    ]);
  });

  test.each([[""], ["\n\n"], ["JOBID|PARTITION\n"]])("%j has no jobs and no issues", (text) => {
    expect(parseSqueue(text)).toEqual({ records: [], issues: [] });
  });
});

describe("parseSqueueJson (22.05, openapi v0.0.38)", () => {
  const { records, issues } = parseSqueueJson(fixture("squeue-json.hand-22.05.json"));

  test("the notes' sample fields", () => {
    expect(byId(records, "70")).toEqual({
      jobId: "70",
      baseJobId: "70",
      arrayTask: null,
      partition: "gpu-a100-80",
      name: "train",
      user: "root",
      state: { kind: "running", raw: "RUNNING" },
      elapsed: null,
      timeLimit: seconds(3600),
      timeLeft: null,
      start: { kind: "at", epoch: 1795401601 },
      end: { kind: "at", epoch: 1795405201 },
      nodeCount: 1,
      nodes: ["a100-01"],
      schedNodes: [],
      reason: null,
      tresPerNode: [{ kind: "gres", name: "gpu", type: "a100_80g", count: 2, indexes: null, sockets: null }],
      gresDetail: [{ kind: "gres", name: "gpu", type: "a100_80g", count: 2, indexes: [0, 1], sockets: null }],
    });
  });

  test("pending, array task, pending array range, unlimited time, unset times", () => {
    expect(byId(records, "71")).toMatchObject({ reason: "Resources", nodes: [], start: { kind: "at" } });
    expect(byId(records, "72_3")).toMatchObject({
      baseJobId: "72",
      arrayTask: "3",
      timeLimit: { kind: "unlimited" },
      end: { kind: "unknown" },
    });
    expect(byId(records, "72_[4-9]")).toMatchObject({ arrayTask: "[4-9]", start: { kind: "unknown" } });
  });

  test("a job that does not fit the schema is skipped and reported", () => {
    expect(records).toHaveLength(6);
    expect(issues).toMatchObject([{ where: "jobs[6]", skipped: true }]);
  });

  test("it ignores squeue's filters, so filterJobs does their work", () => {
    expect(filterJobs(records, { ids: ["70"] }).map((j) => j.jobId)).toEqual(["70"]);
    expect(filterJobs(records, { ids: ["72"] }).map((j) => j.jobId)).toEqual(["72_3", "72_[4-9]"]);
    expect(filterJobs(records, { states: ["pending"] }).map((j) => j.jobId)).toEqual(["71", "72_[4-9]"]);
    expect(filterJobs(records, { users: ["labuser"], partitions: ["gpu-mig"] })).toHaveLength(2);
    expect(filterJobs(records, { names: ["rejected"] })).toMatchObject([{ state: { kind: "failed" } }]);
    expect(filterJobs(records, {})).toHaveLength(6);
  });

  test.each([
    ["not json", "not JSON"],
    ["{}", "no jobs list"],
    ['{"jobs": 3}', "no jobs list"],
  ])("%s: no jobs, one issue", (text, reason) => {
    const parsed = parseSqueueJson(text);
    expect(parsed.records).toEqual([]);
    expect(parsed.issues).toMatchObject([{ skipped: true, reason: expect.stringContaining(reason) }]);
  });

  test("errors reported by squeue and bad node lists become issues", () => {
    const text = JSON.stringify({ errors: [{ error: "boom" }], jobs: [{ job_id: 1, nodes: "a[1-" }] });
    const parsed = parseSqueueJson(text);
    expect(parsed.records).toMatchObject([{ jobId: "1", nodes: [], state: { kind: "other" } }]);
    expect(parsed.issues.map((i) => i.where)).toEqual(["errors[0]", "jobs[0]"]);
  });

  test("newer Slurm's {set, infinite, number} and state lists", () => {
    const job = {
      job_id: 5,
      job_state: ["RUNNING"],
      time_limit: { set: true, infinite: false, number: 30 },
      start_time: { set: true, infinite: false, number: 1795401601 },
      end_time: { set: false, infinite: false, number: 0 },
    };
    const limitless = { job_id: 6, time_limit: { set: false, infinite: true, number: 0 } };
    const parsed = parseSqueueJson(JSON.stringify({ jobs: [job, limitless] }));
    expect(parsed.records[0]).toMatchObject({
      state: { kind: "running" },
      timeLimit: seconds(1800),
      start: { kind: "at", epoch: 1795401601 },
      end: { kind: "none" },
    });
    expect(parsed.records[1]).toMatchObject({ timeLimit: { kind: "unlimited" } });
  });
});

/** The dev cluster's jobs at capture time (test/cluster/capture.sh): 6-10 running, 11 and 12 pending, the rest done. */
describe("parseSqueue on live captures (Slurm 22.05.8)", () => {
  const running = ["7", "6", "8", "10", "9"];
  const readSqueue = (name: string) => parseSqueue(live(name).stdout, UTC);

  test("rv's own format, whole: a running GPU job and a 2-node job pending on the backfill plan", () => {
    expect(live("squeue-pipe").command).toBe(`squeue ${SQUEUE_ARGS[0]} ${SQUEUE_ARGS[1]} '${SQUEUE_FORMAT}'`);
    const { records, issues } = readSqueue("squeue-pipe");
    expect(issues).toEqual([]);
    expect(records.map((j) => [j.jobId, j.partition, j.state.kind, j.nodes, j.reason])).toEqual([
      ["7", "gpu-a100-80", "running", ["a100-01"], null],
      ["12", "gpu-a6000", "pending", [], "Priority"],
      ["11", "gpu-a6000", "pending", [], "Resources"],
      ["6", "gpu-a6000", "running", ["a6000-01"], null],
      ["8", "gpu-mig", "running", ["mig-01"], null],
      ["10", "interactive-rtx3090", "running", ["rtx3090-01"], null],
      ["9", "standard", "running", ["cpu-01"], null],
    ]);
    expect(byId(records, "7")).toEqual({
      jobId: "7",
      baseJobId: "7",
      arrayTask: null,
      partition: "gpu-a100-80",
      name: "fx-a100",
      user: "root",
      state: { kind: "running", raw: "RUNNING" },
      elapsed: seconds(7),
      timeLimit: seconds(300),
      timeLeft: seconds(293),
      start: at("2026-11-23T06:37:50"),
      end: at("2026-11-23T06:42:50"),
      nodeCount: 1,
      nodes: ["a100-01"],
      schedNodes: [],
      reason: null,
      tresPerNode: [gpu("a100_80g", 2)],
      gresDetail: null,
    });
    expect(byId(records, "11")).toMatchObject({
      nodeCount: 2,
      start: at("2026-11-23T06:42:50"),
      end: at("2026-11-23T06:52:50"),
      timeLimit: seconds(600),
      tresPerNode: [gpu("a6000", 1)],
    });
  });

  test("--gpus jobs (8, 10) print %b as N/A: their GPUs are not in tresPerNode", () => {
    const { records } = readSqueue("squeue-pipe");
    expect(byId(records, "8")?.tresPerNode).toEqual([]);
    expect(byId(records, "10")).toMatchObject({ user: "labuser", tresPerNode: [] });
  });

  test("the same format with its header reads the same jobs", () => {
    const { records, issues } = readSqueue("squeue-pipe-header");
    expect(issues).toEqual([]);
    expect(records).toEqual(readSqueue("squeue-pipe").records);
  });

  test("-t all adds finished jobs: a failed one, and the rejected submission's FAILED record", () => {
    const { records, issues } = readSqueue("squeue-pipe-all");
    expect(issues).toEqual([]);
    expect(records).toHaveLength(15);
    expect(byId(records, "5")).toMatchObject({ state: { kind: "failed" }, reason: "NonZeroExitCode", nodes: [] });
    expect(byId(records, "15")).toMatchObject({
      name: "fx-rejected",
      state: { kind: "failed" },
      reason: "BadConstraints",
      nodes: [],
      tresPerNode: [gpu("a6000", 9)],
    });
    expect(byId(records, "4")).toMatchObject({ state: { kind: "completed" }, end: at("2026-11-23T06:37:51") });
  });

  test("after scancel: jobs cancelled while pending have an empty NODELIST(REASON), not a reason", () => {
    const { records, issues } = readSqueue("squeue-all-after-cancel");
    expect(issues).toEqual([]);
    expect(byId(records, "11")).toMatchObject({ state: { kind: "cancelled" }, nodes: [], reason: null, nodeCount: 2 });
    expect(byId(records, "6")).toMatchObject({
      state: { kind: "cancelled" },
      nodes: ["a6000-01"],
      elapsed: seconds(8),
      end: at("2026-11-23T06:37:58"),
    });
    expect(records.filter((j) => j.state.kind === "running" || j.state.kind === "pending")).toEqual([]);
  });

  test("%r gives the pending reason, and None for running jobs", () => {
    const { records, issues } = readSqueue("squeue-reason");
    expect(issues).toEqual([]);
    expect(records.map((j) => [j.jobId, j.state.kind, j.reason, j.start, j.tresPerNode])).toEqual([
      ["7", "running", null, at("2026-11-23T06:37:50"), [gpu("a100_80g", 2)]],
      ["12", "pending", "Priority", at("2026-11-23T06:52:50"), [gpu("a6000", 4)]],
      ["11", "pending", "Resources", at("2026-11-23T06:42:50"), [gpu("a6000", 1)]],
      ["6", "running", null, at("2026-11-23T06:37:50"), [gpu("a6000", 4)]],
      ["8", "running", null, at("2026-11-23T06:37:50"), []],
      ["10", "running", null, at("2026-11-23T06:37:50"), []],
      ["9", "running", null, at("2026-11-23T06:37:50"), []],
    ]);
  });

  test("the default view truncates partitions to 9 characters and names to 8", () => {
    const { records, issues } = readSqueue("squeue-default");
    expect(issues).toEqual([]);
    expect(records.map((j) => [j.jobId, j.partition, j.name, j.state.raw, j.nodes, j.reason])).toEqual([
      ["7", "gpu-a100-", "fx-a100", "R", ["a100-01"], null],
      ["12", "gpu-a6000", "fx-pend", "PD", [], "Priority"],
      ["11", "gpu-a6000", "fx-pend-", "PD", [], "Resources"],
      ["6", "gpu-a6000", "fx-fill", "R", ["a6000-01"], null],
      ["8", "gpu-mig", "fx-mig", "R", ["mig-01"], null],
      ["10", "interacti", "fx-user", "R", ["rtx3090-01"], null],
      ["9", "standard", "fx-cpu", "R", ["cpu-01"], null],
    ]);
  });

  test("--start lists only pending jobs, with the planned start and the planned nodes expanded", () => {
    const { records, issues } = readSqueue("squeue-start");
    expect(issues).toEqual([]);
    expect(records.map((j) => [j.jobId, j.start, j.nodeCount, j.schedNodes, j.nodes, j.reason])).toEqual([
      ["11", at("2026-11-23T06:42:50"), 2, ["a6000-01", "a6000-02"], [], "Resources"],
      ["12", at("2026-11-23T06:52:50"), 1, ["a6000-02"], [], "Priority"],
    ]);
  });

  test("squeue -j of a job that just finished prints nothing, with rc 0: absence is not an error", () => {
    const finished = live("squeue-finished-id");
    expect(finished).toMatchObject({ rc: 0, stdout: "", stderr: "" });
    expect(parseSqueue(finished.stdout)).toEqual({ records: [], issues: [] });
  });

  test("-t all still lists it, but in a format other than SQUEUE_FORMAT and without header: reported, not misread", () => {
    const { records, issues } = readSqueue("squeue-finished-id-all");
    expect(records).toEqual([]);
    expect(issues).toEqual([
      { where: "line 1", text: "4|COMPLETED", reason: "2 fields where 13 were expected", skipped: true },
    ]);
  });

  test("squeue -j of an unknown id: rc 1, the error on stderr, nothing on stdout", () => {
    const unknown = live("squeue-unknown-id");
    expect(unknown).toMatchObject({ rc: 1, stdout: "", stderr: "slurm_load_jobs error: Invalid job id specified\n" });
    expect(parseSqueue(unknown.stdout)).toEqual({ records: [], issues: [] });
  });

  describe("squeue --json", () => {
    const { records, issues } = parseSqueueJson(live("squeue-json").stdout);

    test("every job slurmctld knows, finished ones too, with no issues", () => {
      expect(issues).toEqual([]);
      expect(records.map((j) => j.jobId)).toEqual(Array.from({ length: 15 }, (_, i) => String(i + 1)));
      expect(byId(records, "4")).toMatchObject({ state: { kind: "completed" }, nodes: ["cpu-01"] });
      expect(byId(records, "15")).toMatchObject({ state: { kind: "failed" }, reason: "BadConstraints", nodes: [] });
    });

    test("filterJobs does what squeue's filters would: the same jobs as the plain squeue run", () => {
      const active = filterJobs(records, { states: ["pending", "running"] }).map((j) => j.jobId);
      const plain = parseSqueue(live("squeue-pipe").stdout).records.map((j) => j.jobId);
      expect([...active].sort()).toEqual([...plain].sort());
      expect(filterJobs(records, { ids: ["4"] })).toMatchObject([{ jobId: "4", state: { kind: "completed" } }]);
      expect(filterJobs(records, { users: ["labuser"] }).map((j) => j.jobId)).toEqual(["10"]);
      expect(filterJobs(records, { partitions: ["gpu-a6000"], states: ["pending"] }).map((j) => j.jobId)).toEqual([
        "11",
        "12",
      ]);
    });

    test("epoch times are the instants the text view printed in UTC", () => {
      const text = parseSqueue(live("squeue-pipe").stdout, UTC).records;
      for (const id of [...running, "11", "12"]) {
        expect(byId(records, id)).toMatchObject({ start: byId(text, id)?.start, end: byId(text, id)?.end });
      }
    });

    test("gres_detail has the device indexes, also of --gpus jobs whose tres_per_node is empty", () => {
      expect(byId(records, "6")).toMatchObject({
        tresPerNode: [gpu("a6000", 4)],
        gresDetail: [gpu("a6000", 4, { indexes: [0, 1, 2, 3] })],
      });
      expect(byId(records, "8")).toMatchObject({
        tresPerNode: [],
        gresDetail: [gpu("1g.10gb", 3, { indexes: [0, 1, 2] })],
      });
      expect(byId(records, "11")).toMatchObject({ gresDetail: [], nodes: [], timeLimit: seconds(600) });
    });
  });
});
