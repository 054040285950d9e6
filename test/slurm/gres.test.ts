import { describe, expect, test } from "vitest";
import { type GresEntry, gresCount, parseGres, parseTres, tresGpus } from "../../src/slurm/index.ts";

type Gres = Extract<GresEntry, { kind: "gres" }>;

const gres = (name: string, type: string | null, count: number, more: Partial<Gres> = {}): Gres => ({
  kind: "gres",
  name,
  type,
  count,
  indexes: null,
  sockets: null,
  ...more,
});

describe("parseGres", () => {
  test.each([
    ["gpu:a6000:4", [gres("gpu", "a6000", 4)]],
    ["gpu:a6000:8(S:0-47)", [gres("gpu", "a6000", 8, { sockets: Array.from({ length: 48 }, (_, i) => i) })]],
    ["gpu:a100:4(S:0-1)", [gres("gpu", "a100", 4, { sockets: [0, 1] })]],
    ["gpu:1g.10gb:7", [gres("gpu", "1g.10gb", 7)]],
    ["gpu:a100_80g:4", [gres("gpu", "a100_80g", 4)]],
    ["gpu:4", [gres("gpu", null, 4)]],
    ["gpu", [gres("gpu", null, 1)]],
    ["gpu:a100:4,shard:8", [gres("gpu", "a100", 4), gres("shard", null, 8)]],
    ["gpu:a100:4(S:0-1),lscratch:3200", [gres("gpu", "a100", 4, { sockets: [0, 1] }), gres("lscratch", null, 3200)]],
    ["(null)", []],
    ["N/A", []],
    ["", []],
    ["gres:gpu:a6000:2", [gres("gpu", "a6000", 2)]],
    ["gres:gpu:2", [gres("gpu", null, 2)]],
    ["gres/gpu:a6000=2", [gres("gpu", "a6000", 2)]],
    ["gpu:a6000:2(IDX:0-1)", [gres("gpu", "a6000", 2, { indexes: [0, 1] })]],
    ["gpu:a6000:0(IDX:N/A)", [gres("gpu", "a6000", 0, { indexes: [] })]],
    ["gpu:a100_80g:3(IDX:0,2-3)", [gres("gpu", "a100_80g", 3, { indexes: [0, 2, 3] })]],
    ["gpu:0", [gres("gpu", null, 0)]],
  ])("%s", (text, entries) => {
    expect(parseGres(text)).toEqual(entries);
  });

  test.each([
    ["gpu::4"],
    ["gpu:a:b:4"],
    ["gpu:a6000:2(IDX:x)"],
    ["gpu:a6000:2(FOO:1)"],
    ["gpu:a6000:2(IDX:0-1"],
    ["9lives:2"],
    [":4"],
  ])("%s is kept as { kind: other }", (text) => {
    expect(parseGres(text)).toEqual([{ kind: "other", raw: text }]);
  });

  test("one bad entry does not hide the good ones", () => {
    expect(parseGres("gpu:a100:4,???")).toEqual([gres("gpu", "a100", 4), { kind: "other", raw: "???" }]);
  });

  test("gresCount sums one name, of one type or all", () => {
    const entries = parseGres("gpu:a100:4,gpu:h200:2,shard:8,junk(");
    expect(gresCount(entries)).toBe(6);
    expect(gresCount(entries, { type: "h200" })).toBe(2);
    expect(gresCount(entries, { name: "shard" })).toBe(8);
    expect(gresCount([])).toBe(0);
  });
});

describe("parseTres", () => {
  test("sacct AllocTRES (the notes' sample)", () => {
    expect(parseTres("billing=1,cpu=1,gres/gpu:a6000=2,gres/gpu=2,mem=2000M,node=1")).toEqual({
      cpus: 1,
      memMiB: 2000,
      nodes: 1,
      billing: 1,
      gres: [
        { name: "gpu", type: "a6000", count: 2 },
        { name: "gpu", type: null, count: 2 },
      ],
      other: {},
    });
  });

  test.each([
    ["mem=2000M", 2000],
    ["mem=250G", 256000],
    ["mem=1.5T", 1572864],
    ["mem=512K", 1],
    ["mem=0", 0],
    ["mem=500000M", 500000],
  ])("memory %s is %d MiB", (text, mib) => {
    expect(parseTres(text).memMiB).toBe(mib);
  });

  test("keys rv does not model, and unreadable values, stay verbatim in other", () => {
    const tres = parseTres("cpu=2,energy=0,license/matlab=1,fs/disk=0,mem=lots,cpu_weird,gres/gpu=x");
    expect(tres.cpus).toBe(2);
    expect(tres.memMiB).toBeNull();
    expect(tres.other).toEqual({
      energy: "0",
      "license/matlab": "1",
      "fs/disk": "0",
      mem: "lots",
      cpu_weird: "",
      "gres/gpu": "x",
    });
  });

  test("empty", () => {
    expect(parseTres("")).toEqual({ cpus: null, memMiB: null, nodes: null, billing: null, gres: [], other: {} });
  });

  test.each([
    ["cpu=1,mem=2000M,node=1,billing=1,gres/gpu=2,gres/gpu:a6000=2", 2, { a6000: 2 }],
    ["gres/gpu:a100=4,gres/gpu:h200=2", 6, { a100: 4, h200: 2 }],
    ["cpu=1,mem=2000M", 0, {}],
    ["gres/gpu=3,gres/shard=8", 3, {}],
  ])("tresGpus(%s) = %d", (text, total, byType) => {
    expect(tresGpus(parseTres(text))).toEqual({ total, byType });
  });
});
