import { describe, expect, test } from "vitest";
import {
  parseKeyValueRecords,
  parseScontrolJobs,
  parseScontrolNodes,
  parseScontrolPartitions,
  parseScontrolReservations,
  parseSqueue,
  tresGpus,
} from "../../src/slurm/index.ts";
import { at, fixture, gpu, live, seconds, UTC } from "./fixture.ts";

describe("parseKeyValueRecords", () => {
  test.each([
    ["JobId=1 JobName=a b", { JobId: "1", JobName: "a b" }],
    ["TRES=cpu=1,mem=2000M,node=1", { TRES: "cpu=1,mem=2000M,node=1" }],
    [
      "AllocNode:Sid=vm:4242 Socks/Node=* ReqB:S:C:T=0:0:*:*",
      { "AllocNode:Sid": "vm:4242", "Socks/Node": "*", "ReqB:S:C:T": "0:0:*:*" },
    ],
    ["Power= TresPerNode=gres:gpu:2", { Power: "", TresPerNode: "gres:gpu:2" }],
    [
      "State=IDLE Reason=ReqNodeNotAvail, UnavailableNodes:x-01 Dependency=(null)",
      { State: "IDLE", Reason: "ReqNodeNotAvail, UnavailableNodes:x-01", Dependency: "(null)" },
    ],
    ["Command=/a b/run.sh --lr=3e-4 seed=1", { Command: "/a b/run.sh --lr=3e-4 seed=1" }],
    [
      "OS=Linux 6.1.0 #1 SMP PREEMPT_DYNAMIC Debian (2024-02-01) ",
      { OS: "Linux 6.1.0 #1 SMP PREEMPT_DYNAMIC Debian (2024-02-01)" },
    ],
    ["Reason=Not responding [slurm@2026-11-23T02:45:00]", { Reason: "Not responding [slurm@2026-11-23T02:45:00]" }],
  ])("%s", (line, fields) => {
    expect(parseKeyValueRecords(`X=1\n   ${line}\n`)).toEqual({
      records: [{ where: "line 1", fields: { X: "1", ...fields } }],
      issues: [],
    });
  });

  test("records split at blank lines and at lines that start at column 0", () => {
    const { records } = parseKeyValueRecords("A=1\n   B=2\n\n   C=3\nD=4\nE=5 F=6\n");
    expect(records.map((r) => r.fields)).toEqual([{ A: "1", B: "2" }, { C: "3" }, { D: "4" }, { E: "5", F: "6" }]);
  });

  test("text outside any key is reported; a record made only of it is dropped", () => {
    const { records, issues } = parseKeyValueRecords(
      "stray words A=1\nslurm_load_jobs error: Invalid job id specified\n",
    );
    expect(records).toEqual([{ where: "line 1", fields: { A: "1" } }]);
    expect(issues.map((i) => [i.where, i.reason])).toEqual([
      ["line 1", 'text outside any key: "stray words"'],
      ["line 2", 'text outside any key: "slurm_load_jobs error: Invalid job id specified"'],
    ]);
  });

  test.each([[""], ["\n\n  \n"]])("%j has no records", (text) => {
    expect(parseKeyValueRecords(text)).toEqual({ records: [], issues: [] });
  });
});

describe("parseScontrolJobs", () => {
  test("a pending job with its backfill plan, and a running --wrap job", () => {
    const { records, issues } = parseScontrolJobs(fixture("scontrol-job.hand-pending-running.txt"), UTC);
    expect(issues).toEqual([]);
    expect(records[0]).toEqual({
      jobId: "11",
      name: "waiter",
      state: { kind: "pending", raw: "PENDING" },
      reason: "Resources",
      partition: "gpu-a6000",
      nodes: [],
      schedNodes: ["a6000-01"],
      start: at("2026-11-23T02:51:53"),
      end: at("2026-11-23T03:01:53"),
      timeLimit: seconds(600),
      tresPerNode: [{ kind: "gres", name: "gpu", type: "a6000", count: 2, indexes: null, sockets: null }],
      tres: {
        cpus: 1,
        memMiB: 2000,
        nodes: 1,
        billing: 1,
        gres: [
          { name: "gpu", type: null, count: 2 },
          { name: "gpu", type: "a6000", count: 2 },
        ],
        other: {},
      },
      command: "/root/rv jobs/waiter.sh --lr=3e-4 seed=1",
    });
    expect(records[1]).toMatchObject({
      jobId: "10",
      state: { kind: "running" },
      reason: null,
      nodes: ["a6000-01", "a6000-02"],
      schedNodes: [],
      timeLimit: seconds(86400),
      command: null,
    });
    expect(records[1]?.tres && tresGpus(records[1].tres)).toEqual({ total: 8, byType: { a6000: 8 } });
  });

  test("one-line records (-o), Unknown times, and an error line", () => {
    const { records, issues } = parseScontrolJobs(fixture("scontrol-job.hand-oneline.txt"), UTC);
    expect(records.map((j) => [j.jobId, j.state.kind, j.reason, j.start, j.timeLimit, j.command])).toEqual([
      [
        "12",
        "pending",
        "ReqNodeNotAvail,_UnavailableNodes:rtx3090-01",
        { kind: "unknown" },
        { kind: "unlimited" },
        "/home/labuser/pend.sh",
      ],
      ["13", "cancelled", null, at("2026-11-23T02:51:00"), seconds(300), null],
    ]);
    expect(records[0]?.tresPerNode).toEqual([]);
    expect(issues).toMatchObject([{ where: "line 3", skipped: false }]);
  });
});

describe("parseScontrolPartitions", () => {
  test("limits, the default partition, nodes and TRES; a record without its name is skipped", () => {
    const { records, issues } = parseScontrolPartitions(fixture("scontrol-partition.hand-lab.txt"));
    expect(records[1]).toEqual({
      name: "gpu-a6000",
      isDefault: false,
      state: "UP",
      maxTime: seconds(172800),
      defaultTime: seconds(3600),
      nodes: ["a6000-01", "a6000-02"],
      totalNodes: 2,
      totalCpus: 64,
      tres: { cpus: 64, memMiB: 500000, nodes: 2, billing: 64, gres: expect.any(Array), other: {} },
    });
    expect(records.map((p) => [p.name, p.isDefault, p.state, p.maxTime, p.defaultTime])).toEqual([
      ["standard", true, "UP", seconds(604800), { kind: "none" }],
      ["gpu-a6000", false, "UP", seconds(172800), seconds(3600)],
      ["gpu-mig", false, "DRAIN", { kind: "unlimited" }, { kind: "none" }],
    ]);
    expect(issues).toMatchObject([{ where: "line 36", skipped: true, reason: "no PartitionName" }]);
  });
});

describe("parseScontrolNodes (scontrol -d show node)", () => {
  const { records, issues } = parseScontrolNodes(fixture("scontrol-node.hand-lab.txt"));

  test("a mixed GPU node with GresUsed and AllocTRES", () => {
    expect(issues).toEqual([]);
    expect(records[0]).toEqual({
      name: "a6000-01",
      state: { base: "mixed", flags: [], unknown: [], raw: "MIXED" },
      gres: [{ kind: "gres", name: "gpu", type: "a6000", count: 4, indexes: null, sockets: null }],
      gresUsed: [{ kind: "gres", name: "gpu", type: "a6000", count: 2, indexes: [0, 1], sockets: null }],
      cfgTres: {
        cpus: 32,
        memMiB: 256000,
        nodes: null,
        billing: 32,
        gres: [
          { name: "gpu", type: null, count: 4 },
          { name: "gpu", type: "a6000", count: 4 },
        ],
        other: {},
      },
      allocTres: {
        cpus: 2,
        memMiB: 4000,
        nodes: null,
        billing: null,
        gres: [
          { name: "gpu", type: null, count: 2 },
          { name: "gpu", type: "a6000", count: 2 },
        ],
        other: {},
      },
      cpuTotal: 32,
      cpuAlloc: 2,
      realMemoryMiB: 256000,
      allocMemMiB: 4000,
      partitions: ["gpu-a6000"],
      features: ["gpu", "a6000"],
      reason: null,
    });
  });

  test("a down, drained node with a reason; a planned node; a CPU node without -d", () => {
    expect(records.map((n) => [n.name, n.state.base, [...n.state.flags].sort(), n.reason])).toEqual([
      ["a6000-01", "mixed", [], null],
      ["a100-02", "down", ["drain", "not_responding"], "Not responding [slurm@2026-11-23T02:45:00]"],
      ["mig-01", "idle", ["planned"], null],
      ["cpu-01", "allocated", [], null],
    ]);
    expect(records[1]).toMatchObject({ allocTres: null, gresUsed: [{ count: 0, indexes: [] }] });
    expect(records[3]).toMatchObject({ gres: [], gresUsed: null, allocTres: { memMiB: 128000 } });
  });
});

describe("scontrol on live captures (Slurm 22.05.8)", () => {
  describe("show job", () => {
    const { records, issues } = parseScontrolJobs(live("scontrol-show-job").stdout, UTC);
    const job = (id: string) => records.find((j) => j.jobId === id);
    const gpusOf = (id: string) => {
      const tres = job(id)?.tres;
      return tres ? tresGpus(tres) : null;
    };

    test("every job slurmctld knows, with no issues; a running GPU job whole", () => {
      expect(issues).toEqual([]);
      expect(records.map((j) => [j.jobId, j.state.kind, j.reason])).toEqual([
        ["1", "completed", null],
        ["2", "completed", null],
        ["3", "completed", null],
        ["4", "completed", null],
        ["5", "failed", "NonZeroExitCode"],
        ["6", "running", null],
        ["7", "running", null],
        ["8", "running", null],
        ["9", "running", null],
        ["10", "running", null],
        ["11", "pending", "Resources"],
        ["12", "pending", "Priority"],
        ["13", "completed", null],
        ["14", "completed", null],
        ["15", "failed", "BadConstraints"],
      ]);
      expect(job("7")).toEqual({
        jobId: "7",
        name: "fx-a100",
        state: { kind: "running", raw: "RUNNING" },
        reason: null,
        partition: "gpu-a100-80",
        nodes: ["a100-01"],
        schedNodes: [],
        start: at("2026-11-23T06:37:50"),
        end: at("2026-11-23T06:42:50"),
        timeLimit: seconds(300),
        tresPerNode: [gpu("a100_80g", 2)],
        tres: {
          cpus: 1,
          memMiB: 2000,
          nodes: 1,
          billing: 1,
          gres: [
            { name: "gpu", type: null, count: 2 },
            { name: "gpu", type: "a100_80g", count: 2 },
          ],
          other: {},
        },
        command: null,
      });
    });

    test("a pending 2-node job: empty NodeList, the backfill plan's SchedNodeList expanded", () => {
      expect(job("11")).toMatchObject({
        nodes: [],
        schedNodes: ["a6000-01", "a6000-02"],
        start: at("2026-11-23T06:42:50"),
        end: at("2026-11-23T06:52:50"),
        timeLimit: seconds(600),
        tresPerNode: [gpu("a6000", 1)],
      });
      expect(gpusOf("11")).toEqual({ total: 2, byType: { a6000: 2 } });
    });

    test("--gpus jobs print TresPerJob, not TresPerNode: their GPUs show in TRES only", () => {
      expect(job("8")).toMatchObject({ tresPerNode: [], nodes: ["mig-01"] });
      expect(gpusOf("8")).toEqual({ total: 3, byType: { "1g.10gb": 3 } });
    });

    test("the rejected submission: FAILED, BadConstraints, no nodes, but the 9 GPUs it asked for", () => {
      expect(job("15")).toMatchObject({ nodes: [], tresPerNode: [gpu("a6000", 9)] });
    });

    test("`scontrol show job N` gives the same record as the full list", () => {
      expect(parseScontrolJobs(live("scontrol-show-job-running").stdout, UTC)).toEqual({
        records: [job("7")],
        issues: [],
      });
      expect(parseScontrolJobs(live("scontrol-show-job-pending").stdout, UTC)).toEqual({
        records: [job("12")],
        issues: [],
      });
    });

    test("-o (one line per job) gives the same records", () => {
      expect(parseScontrolJobs(live("scontrol-show-job-oneliner").stdout, UTC)).toEqual({ records, issues: [] });
    });

    test("an unknown id: rc 1, the error on stderr, nothing on stdout", () => {
      const unknown = live("scontrol-show-job-unknown");
      expect(unknown).toMatchObject({ rc: 1, stdout: "", stderr: "slurm_load_jobs error: Invalid job id specified\n" });
      expect(parseScontrolJobs(unknown.stdout)).toEqual({ records: [], issues: [] });
    });
  });

  describe("show partition", () => {
    const { records, issues } = parseScontrolPartitions(live("scontrol-show-partition").stdout);

    test("every partition, its limits, nodes expanded and GPUs in TRES", () => {
      expect(issues).toEqual([]);
      expect(records.map((p) => [p.name, p.isDefault, p.state, p.maxTime, p.defaultTime, p.nodes])).toEqual([
        ["standard", true, "UP", seconds(7 * 86400), { kind: "none" }, ["cpu-01", "cpu-02"]],
        ["gpu-a6000", false, "UP", seconds(2 * 86400), { kind: "none" }, ["a6000-01", "a6000-02"]],
        ["gpu-a100-80", false, "UP", seconds(2 * 86400), { kind: "none" }, ["a100-01", "a100-02"]],
        ["gpu-mig", false, "UP", seconds(86400), { kind: "none" }, ["mig-01"]],
        ["interactive-rtx3090", false, "UP", seconds(8 * 3600), { kind: "none" }, ["rtx3090-01"]],
      ]);
      expect(records[2]).toMatchObject({ totalNodes: 2, totalCpus: 128, tres: { memMiB: 1024000, nodes: 2 } });
      expect(records.map((p) => p.tres && tresGpus(p.tres).total)).toEqual([0, 8, 8, 7, 2]);
    });

    test("with jobs running it prints the same: a partition's TRES is its capacity, not its load", () => {
      expect(parseScontrolPartitions(live("scontrol-show-partition-busy").stdout)).toEqual({ records, issues: [] });
    });
  });

  describe("show node", () => {
    const detailed = parseScontrolNodes(live("scontrol-d-show-node").stdout);
    const node = (name: string) => detailed.records.find((n) => n.name === name);

    test("-d: GresUsed with device indexes, CfgTRES and AllocTRES; a node with one job whole", () => {
      expect(detailed.issues).toEqual([]);
      expect(node("a100-01")).toEqual({
        name: "a100-01",
        state: { base: "mixed", flags: [], unknown: [], raw: "MIXED" },
        gres: [gpu("a100_80g", 4)],
        gresUsed: [gpu("a100_80g", 2, { indexes: [0, 1] })],
        cfgTres: {
          cpus: 64,
          memMiB: 512000,
          nodes: null,
          billing: 64,
          gres: [
            { name: "gpu", type: null, count: 4 },
            { name: "gpu", type: "a100_80g", count: 4 },
          ],
          other: {},
        },
        allocTres: {
          cpus: 1,
          memMiB: 2000,
          nodes: null,
          billing: null,
          gres: [
            { name: "gpu", type: null, count: 2 },
            { name: "gpu", type: "a100_80g", count: 2 },
          ],
          other: {},
        },
        cpuTotal: 64,
        cpuAlloc: 1,
        realMemoryMiB: 512000,
        allocMemMiB: 2000,
        partitions: ["gpu-a100-80"],
        features: ["gpu", "a100_80g"],
        reason: null,
      });
    });

    test("-d: every node's state and GPUs in use; idle nodes have an empty AllocTRES", () => {
      expect(detailed.records.map((n) => [n.name, n.state.base, n.state.flags, n.gresUsed, n.allocTres?.cpus])).toEqual(
        [
          ["a100-01", "mixed", [], [gpu("a100_80g", 2, { indexes: [0, 1] })], 1],
          ["a100-02", "idle", [], [gpu("a100_80g", 0, { indexes: [] })], undefined],
          ["a6000-01", "mixed", [], [gpu("a6000", 4, { indexes: [0, 1, 2, 3] })], 1],
          ["a6000-02", "idle", ["planned"], [gpu("a6000", 0, { indexes: [] })], undefined],
          ["cpu-01", "mixed", [], [gpu(null, 0)], 4],
          ["cpu-02", "idle", [], [gpu(null, 0)], undefined],
          ["mig-01", "mixed", [], [gpu("1g.10gb", 3, { indexes: [0, 1, 2] })], 1],
          ["rtx3090-01", "mixed", [], [gpu("rtx3090", 1, { indexes: [0] })], 1],
        ],
      );
      expect(node("a100-02")?.allocTres).toBeNull();
      expect(node("cpu-01")).toMatchObject({ gres: [], allocMemMiB: 4000, features: ["cpu"] });
    });

    test("without -d there is no GresUsed; the rest is the same, and -o gives the same records", () => {
      const plain = parseScontrolNodes(live("scontrol-show-node").stdout);
      expect(plain.issues).toEqual([]);
      expect(plain.records).toEqual(detailed.records.map((n) => ({ ...n, gresUsed: null })));
      expect(parseScontrolNodes(live("scontrol-show-node-oneliner").stdout)).toEqual(plain);
    });
  });

  describe("show reservation", () => {
    // run as rv runs it: SLURM_TIME_FORMAT=%s, so times are epochs
    const { records, issues } = parseScontrolReservations(live("scontrol-show-reservation").stdout);
    const epoch = (n: number) => ({ kind: "at", epoch: n });

    test("a MAINT one ahead, one active now (with more flags), one far ahead on a hostlist of two nodes", () => {
      expect(live("scontrol-show-reservation").command).toBe("SLURM_TIME_FORMAT=%s scontrol show reservation");
      expect(issues).toEqual([]);
      expect(records).toEqual([
        {
          name: "rv-fx-maint",
          start: epoch(1796313187),
          end: epoch(1796313787),
          nodes: ["rtx3090-01"],
          flags: ["MAINT", "SPEC_NODES"],
        },
        {
          name: "rv-fx-now",
          start: epoch(1796312887),
          end: epoch(1796313007),
          nodes: ["rtx3090-01"],
          flags: ["MAINT", "OVERLAP", "IGNORE_JOBS", "SPEC_NODES"],
        },
        {
          name: "rv-fx-later",
          start: epoch(1822232887),
          end: epoch(1822319287),
          nodes: ["a100-01", "a100-02"],
          flags: ["SPEC_NODES"],
        },
      ]);
    });

    test("wall-clock times (UTC here) and -o one-liners give the same records", () => {
      expect(parseScontrolReservations(live("scontrol-show-reservation-wallclock").stdout, UTC)).toEqual({
        records,
        issues,
      });
      expect(parseScontrolReservations(live("scontrol-show-reservation-oneliner").stdout, UTC)).toEqual({
        records,
        issues,
      });
    });

    test("none: scontrol says so on stdout with status 0, which is no record and no issue", () => {
      const none = live("scontrol-show-reservation-none");
      expect([none.rc, none.stdout.trim()]).toEqual([0, "No reservations in the system"]);
      expect(parseScontrolReservations(none.stdout)).toEqual({ records: [], issues: [] });
    });

    test("a job whose walltime would reach into a MAINT reservation pends with Slurm's reason for it", () => {
      const { records: jobs } = parseSqueue(live("squeue-reason-reserved").stdout, UTC);
      expect(jobs.map((j) => [j.state.kind, j.reason, j.timeLimit])).toEqual([
        ["pending", "ReqNodeNotAvail, Reserved for maintenance", seconds(600)],
      ]);
    });
  });
});
