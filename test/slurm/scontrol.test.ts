import { describe, expect, test } from "vitest";
import {
  parseKeyValueRecords,
  parseScontrolJobs,
  parseScontrolNodes,
  parseScontrolPartitions,
  tresGpus,
} from "../../src/slurm/index.ts";
import { at, fixture, seconds, UTC } from "./fixture.ts";

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
