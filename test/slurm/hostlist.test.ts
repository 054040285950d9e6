import { describe, expect, test } from "vitest";
import { compressHostlist, expandHostlist } from "../../src/slurm/index.ts";

describe("expandHostlist", () => {
  test.each([
    ["a6000-[01-02],b-07", ["a6000-01", "a6000-02", "b-07"]],
    ["node[1-3,5]", ["node1", "node2", "node3", "node5"]],
    ["gpu-[001-003]-x", ["gpu-001-x", "gpu-002-x", "gpu-003-x"]],
    ["a[1-2],b[08-10]", ["a1", "a2", "b08", "b09", "b10"]],
    ["n[8-10]", ["n8", "n9", "n10"]],
    ["r[1-2]-n[01-02]", ["r1-n01", "r1-n02", "r2-n01", "r2-n02"]],
    ["mig-01", ["mig-01"]],
    ["a100-[01-02]", ["a100-01", "a100-02"]],
    ["  cpu-[01-02]  ", ["cpu-01", "cpu-02"]],
    ["", []],
    ["(null)", []],
  ])("%s", (text, hosts) => {
    expect(expandHostlist(text)).toEqual({ ok: true, value: hosts });
  });

  test.each([
    ["a[1-2", "unbalanced"],
    ["a]b", "unbalanced"],
    ["a[[1]]", "unbalanced"],
    ["a[x-y]", "bad range"],
    ["a[3-1]", "backwards"],
    ["a,,b", "empty name"],
    ["a6000-01 <- backfilled", "space"],
    ["n[0-9999999]", "over 100000"],
    ["a[0-999],b[0-99999]", "over 100000"],
  ])("%s is refused (%s), not thrown", (text, reason) => {
    const result = expandHostlist(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toContain(reason);
  });
});

describe("compressHostlist", () => {
  test.each([
    [["a6000-01", "a6000-02"], "a6000-[01-02]"],
    [["a6000-01", "b-07"], "a6000-01,b-07"],
    [["node1", "node2", "node3", "node5"], "node[1-3,5]"],
    [["gpu-001-x", "gpu-002-x", "gpu-003-x"], "gpu-[001-003]-x"],
    [["n8", "n10", "n9"], "n[8-10]"],
    [["b09", "b10", "b08"], "b[08-10]"],
    [["n1", "n02"], "n[1,02]"],
    [["login", "login", "mig-01"], "login,mig-01"],
    [["a100-02", "a6000-01", "a100-01"], "a100-[01-02],a6000-01"],
    [[], ""],
  ])("%j -> %s", (hosts, text) => {
    expect(compressHostlist(hosts)).toBe(text);
  });

  test.each([
    ["a6000-[01-02],b-07"],
    ["node[1-3,5,7-9]"],
    ["gpu-[001-003]-x,gpu-[007-010]-x"],
    ["n[8-12],m[098-101]"],
    ["r[1-2]-n[01-02]"],
  ])("expand(compress(expand(%s))) names the same hosts", (text) => {
    const hosts = expandHostlist(text);
    if (!hosts.ok) throw new Error(hosts.reason);
    const again = expandHostlist(compressHostlist(hosts.value));
    expect(again.ok && [...again.value].sort()).toEqual([...hosts.value].sort());
  });
});
