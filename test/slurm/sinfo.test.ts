import { describe, expect, test } from "vitest";
import {
  nodeAcceptsJobs,
  parseSinfo,
  SINFO_ARGS,
  SINFO_FORMAT,
  type SinfoRow,
  sinfoNodes,
  sinfoPartitions,
} from "../../src/slurm/index.ts";
import { fixture, gpu, live, seconds } from "./fixture.ts";

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

/** The dev cluster: 2 CPU nodes, 2 A6000 and 2 A100 nodes with 4 GPUs, a MIG node with 7 slices, an RTX 3090 node. */
describe("parseSinfo on live captures (Slurm 22.05.8)", () => {
  const readSinfo = (name: string) => parseSinfo(live(name).stdout);
  const node = (rows: SinfoRow[], name: string) => rows.find((r) => r.nodes[0] === name);

  test("rv's own format on the idle cluster, whole", () => {
    expect(live("sinfo-N-idle").command).toBe(`sinfo ${SINFO_ARGS.slice(0, 3).join(" ")} '${SINFO_FORMAT}'`);
    const { records, issues } = readSinfo("sinfo-N-idle");
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.nodes, r.partition, r.isDefault, r.state?.raw, r.gres, r.cpus?.total])).toEqual([
      [["a100-01"], "gpu-a100-80", false, "idle", [gpu("a100_80g", 4)], 64],
      [["a100-02"], "gpu-a100-80", false, "idle", [gpu("a100_80g", 4)], 64],
      [["a6000-01"], "gpu-a6000", false, "idle", [gpu("a6000", 4)], 32],
      [["a6000-02"], "gpu-a6000", false, "idle", [gpu("a6000", 4)], 32],
      [["cpu-01"], "standard", true, "idle", [], 64],
      [["cpu-02"], "standard", true, "idle", [], 64],
      [["mig-01"], "gpu-mig", false, "idle", [gpu("1g.10gb", 7)], 32],
      [["rtx3090-01"], "interactive-rtx3090", false, "idle", [gpu("rtx3090", 2)], 16],
    ]);
    expect(node(records, "a6000-01")).toEqual({
      partition: "gpu-a6000",
      isDefault: false,
      avail: "up",
      timeLimit: seconds(2 * 86400),
      defaultTime: { kind: "none" },
      state: { base: "idle", flags: [], unknown: [], raw: "idle" },
      nodeCount: 1,
      nodes: ["a6000-01"],
      gres: [gpu("a6000", 4)],
      gresUsed: null,
      cpus: { allocated: 0, idle: 32, other: 0, total: 32 },
      memoryMiB: 256000,
      features: ["gpu", "a6000"],
      reason: null,
    });
    expect(node(records, "rtx3090-01")?.timeLimit).toEqual(seconds(8 * 3600));
  });

  test("busy: allocated CPUs, and the node held for the pending 2-node job reads planned (still up)", () => {
    const { records, issues } = readSinfo("sinfo-N-busy");
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.nodes[0], r.state?.base, r.state?.flags, r.cpus?.allocated])).toEqual([
      ["a100-01", "mixed", [], 1],
      ["a100-02", "idle", [], 0],
      ["a6000-01", "mixed", [], 1],
      ["a6000-02", "idle", ["planned"], 0],
      ["cpu-01", "mixed", [], 4],
      ["cpu-02", "idle", [], 0],
      ["mig-01", "mixed", [], 1],
      ["rtx3090-01", "mixed", [], 1],
    ]);
    expect(records.every((r) => r.state !== null && nodeAcceptsJobs(r.state))).toBe(true);
  });

  test("after the cancels every node is idle again", () => {
    const { records, issues } = readSinfo("sinfo-N-after");
    expect(issues).toEqual([]);
    expect(records.map((r) => r.state?.raw)).toEqual(Array(8).fill("idle"));
    expect(records.map((r) => r.cpus?.allocated)).toEqual(Array(8).fill(0));
  });

  test("sinfo -O with its header: the complete state and GRES in use with device indexes", () => {
    const { records, issues } = readSinfo("sinfo-O-gresused");
    expect(issues).toEqual([]);
    expect(records.map((r) => [r.nodes[0], r.state?.base, r.state?.flags, r.gresUsed])).toEqual([
      ["a100-01", "mixed", [], [gpu("a100_80g", 2, { indexes: [0, 1] })]],
      ["a100-02", "idle", [], [gpu("a100_80g", 0, { indexes: [] })]],
      ["a6000-01", "mixed", [], [gpu("a6000", 4, { indexes: [0, 1, 2, 3] })]],
      ["a6000-02", "idle", ["planned"], [gpu("a6000", 0, { indexes: [] })]],
      ["cpu-01", "mixed", [], [gpu(null, 0)]],
      ["cpu-02", "idle", [], [gpu(null, 0)]],
      ["mig-01", "mixed", [], [gpu("1g.10gb", 3, { indexes: [0, 1, 2] })]],
      ["rtx3090-01", "mixed", [], [gpu("rtx3090", 1, { indexes: [0] })]],
    ]);
    expect(node(records, "mig-01")?.gres).toEqual([gpu("1g.10gb", 7)]);
    expect(node(records, "cpu-01")?.gres).toEqual([]);
  });

  test("sinfo -O --noheader cannot be told from rv's format: every line is reported, none misread", () => {
    const { records, issues } = readSinfo("sinfo-O-gresused-noheader");
    expect(records).toEqual([]);
    expect(issues).toHaveLength(8);
    expect(issues.every((i) => i.skipped && i.reason === "1 fields where 12 were expected")).toBe(true);
  });

  test("the default partition view, and the partitions it describes", () => {
    const { records, issues } = readSinfo("sinfo-default");
    expect(issues).toEqual([]);
    expect(sinfoPartitions(records).map((p) => [p.name, p.isDefault, p.avail, p.timeLimit, p.nodes])).toEqual([
      ["standard", true, "up", seconds(7 * 86400), ["cpu-01", "cpu-02"]],
      ["gpu-a6000", false, "up", seconds(2 * 86400), ["a6000-01", "a6000-02"]],
      ["gpu-a100-80", false, "up", seconds(2 * 86400), ["a100-01", "a100-02"]],
      ["gpu-mig", false, "up", seconds(86400), ["mig-01"]],
      ["interactive-rtx3090", false, "up", seconds(8 * 3600), ["rtx3090-01"]],
    ]);
    expect(records.map((r) => r.nodeCount)).toEqual([2, 2, 2, 1, 1]);
  });
});
