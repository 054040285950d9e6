import { describe, expect, test } from "vitest";
import { parseSinfo, SINFO_FORMAT, sinfoNodes, sinfoPartitions } from "../../src/slurm/index.ts";
import { fixture, seconds } from "./fixture.ts";

const gpu = (type: string | null, count: number, more = {}) => ({
  kind: "gres",
  name: "gpu",
  type,
  count,
  indexes: null,
  sockets: null,
  ...more,
});

describe("parseSinfo", () => {
  test("the notes' partition view: aligned, default partition starred, NOD header", () => {
    const { records, issues } = parseSinfo(fixture("sinfo.notes-partitions.txt"));
    expect(issues).toEqual([]);
    expect(records[0]).toEqual({
      partition: "standard",
      isDefault: true,
      avail: "up",
      timeLimit: seconds(7 * 86400),
      defaultTime: null,
      state: { base: "idle", flags: [], unknown: [], raw: "idle" },
      nodeCount: 2,
      nodes: ["cpu-01", "cpu-02"],
      gres: [],
      gresUsed: null,
      cpus: null,
      memoryMiB: null,
      features: [],
      reason: null,
    });
    expect(records.map((r) => [r.partition, r.isDefault, r.timeLimit, r.gres])).toEqual([
      ["standard", true, seconds(604800), []],
      ["gpu-a6000", false, seconds(172800), [gpu("a6000", 4)]],
      ["gpu-a100-80", false, seconds(172800), [gpu("a100_80g", 4)]],
      ["gpu-mig", false, seconds(86400), [gpu("1g.10gb", 7)]],
      ["interactive-rtx3090", false, seconds(28800), [gpu("rtx3090", 2)]],
    ]);
  });

  test("the notes' node view with CPUs A/I/O/T", () => {
    const { records, issues } = parseSinfo(fixture("sinfo.notes-node-gres-cpus.txt"));
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.nodes, r.state?.base, r.gres, r.cpus])).toEqual([
      [["a100-01"], "mixed", [gpu("a100_80g", 4)], { allocated: 4, idle: 60, other: 0, total: 64 }],
      [["cpu-01"], "idle", [], { allocated: 0, idle: 64, other: 0, total: 64 }],
      [["mig-01"], "idle", [gpu("1g.10gb", 7)], { allocated: 0, idle: 32, other: 0, total: 32 }],
    ]);
  });

  test("SINFO_FORMAT without header: every state form, limits, reasons, a node in two partitions", () => {
    expect(SINFO_FORMAT).toBe("%N|%P|%a|%l|%L|%T|%D|%G|%C|%m|%f|%E");
    const { records, issues } = parseSinfo(fixture("sinfo.hand-nodes.txt"));
    expect(issues).toMatchObject([{ where: "line 14", skipped: true }]);
    const row = (node: string, partition: string) =>
      records.find((r) => r.nodes[0] === node && r.partition === partition);
    expect(records.map((r) => [r.nodes[0], r.state?.base, r.state?.flags])).toEqual([
      ["a6000-01", "mixed", ["planned"]],
      ["a6000-02", "idle", ["planned"]],
      ["a100-01", "allocated", []],
      ["a100-02", "idle", ["drain", "not_responding"]],
      ["mig-01", "idle", ["reserved"]],
      ["rtx3090-01", "idle", ["powered_down"]],
      ["cpu-01", "down", ["not_responding"]],
      ["cpu-02", "unknown", ["invalid_reg"]],
      ["cpu-02", "unknown", ["invalid_reg"]],
      ["h200-01", "idle", ["powering_up"]],
      ["h200-02", "allocated", ["drain"]],
      ["v100-01", "idle", ["fail"]],
      ["v100-02", "idle", ["planned"]],
    ]);
    expect(row("a6000-01", "gpu-a6000")).toEqual({
      partition: "gpu-a6000",
      isDefault: false,
      avail: "up",
      timeLimit: seconds(172800),
      defaultTime: { kind: "none" },
      state: { base: "mixed", flags: ["planned"], unknown: [], raw: "mixed-" },
      nodeCount: 1,
      nodes: ["a6000-01"],
      gres: [gpu("a6000", 4)],
      gresUsed: null,
      cpus: { allocated: 2, idle: 30, other: 0, total: 32 },
      memoryMiB: 256000,
      features: ["gpu", "a6000"],
      reason: null,
    });
    expect(row("a100-02", "gpu-a100-80")?.reason).toBe("Not responding|GPU 2 fell off the bus");
    expect(row("rtx3090-01", "interactive-rtx3090")).toMatchObject({
      timeLimit: seconds(28800),
      defaultTime: seconds(3600),
    });
    expect(row("cpu-01", "standard")).toMatchObject({ isDefault: true, reason: "Not responding" });
    expect(row("cpu-02", "debug")).toMatchObject({
      isDefault: false,
      timeLimit: seconds(1800),
      defaultTime: seconds(300),
    });
    expect(row("h200-01", "gpu-h200")?.gres).toEqual([gpu("h200", 8, { sockets: [0, 1] })]);
    expect(row("h200-02", "gpu-h200")?.avail).toBe("drain");
    expect(row("v100-01", "gpu-v100")).toMatchObject({
      avail: "inact",
      timeLimit: { kind: "unlimited" },
      memoryMiB: 192000,
      gres: [gpu("v100", 4), { kind: "gres", name: "shard", type: null, count: 8 }],
    });
  });

  test("GRES_USED from a header that names it (sinfo -O ...,GresUsed), padded cells", () => {
    const { records, issues } = parseSinfo(fixture("sinfo.hand-gres-used.txt"));
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.nodes, r.partition, r.state?.base, r.gresUsed])).toEqual([
      [["a6000-01"], "gpu-a6000", "mixed", [gpu("a6000", 2, { indexes: [0, 1] })]],
      [["a6000-02"], "gpu-a6000", "idle", [gpu("a6000", 0, { indexes: [] })]],
      [["a100-01"], "gpu-a100-80", "mixed", [gpu("a100_80g", 3, { indexes: [0, 2, 3] })]],
    ]);
  });

  test("bad numbers are reported and read as null", () => {
    const { records, issues } = parseSinfo("n1|p|up|1:00|NONE|idle|x|(null)|1/2/3|lots|(null)|none\n");
    expect(records[0]).toMatchObject({ nodeCount: null, cpus: null, memoryMiB: null, features: [] });
    expect(issues.map((i) => i.reason)).toEqual([
      'NODES is not a number: "x"',
      'CPUS(A/I/O/T) is not a/i/o/t: "1/2/3"',
      'MEMORY is not a number: "lots"',
    ]);
  });
});

describe("sinfo views", () => {
  const { records } = parseSinfo(fixture("sinfo.hand-nodes.txt"));

  test("sinfoPartitions: limits and nodes per partition, the default marked", () => {
    const partitions = sinfoPartitions(records);
    expect(partitions.map((p) => [p.name, p.isDefault, p.nodes])).toEqual([
      ["gpu-a6000", false, ["a6000-01", "a6000-02"]],
      ["gpu-a100-80", false, ["a100-01", "a100-02"]],
      ["gpu-mig", false, ["mig-01"]],
      ["interactive-rtx3090", false, ["rtx3090-01"]],
      ["standard", true, ["cpu-01", "cpu-02"]],
      ["debug", false, ["cpu-02"]],
      ["gpu-h200", false, ["h200-01", "h200-02"]],
      ["gpu-v100", false, ["v100-01", "v100-02"]],
    ]);
    expect(partitions.find((p) => p.name === "standard")?.timeLimit).toEqual(seconds(604800));
  });

  test("sinfoNodes: each node once, with all its partitions", () => {
    const nodes = sinfoNodes(records);
    expect(nodes).toHaveLength(12);
    expect(nodes.find((n) => n.name === "cpu-02")).toMatchObject({
      partitions: ["standard", "debug"],
      state: { base: "unknown", flags: ["invalid_reg"] },
    });
  });

  test("the partition view expands to nodes too", () => {
    const nodes = sinfoNodes(parseSinfo(fixture("sinfo.notes-partitions.txt")).records);
    expect(nodes.map((n) => [n.name, n.partitions])).toEqual([
      ["cpu-01", ["standard"]],
      ["cpu-02", ["standard"]],
      ["a6000-01", ["gpu-a6000"]],
      ["a6000-02", ["gpu-a6000"]],
      ["a100-01", ["gpu-a100-80"]],
      ["a100-02", ["gpu-a100-80"]],
      ["mig-01", ["gpu-mig"]],
      ["rtx3090-01", ["interactive-rtx3090"]],
    ]);
  });
});
