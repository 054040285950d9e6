import { describe, expect, test } from "vitest";
import { type NodeBase, type NodeFlag, nodeAcceptsJobs, parseNodeState } from "../../src/slurm/index.ts";

describe("parseNodeState", () => {
  test.each<[string, NodeBase, NodeFlag[]]>([
    ["idle", "idle", []],
    ["IDLE", "idle", []],
    ["mix", "mixed", []],
    ["mixed-", "mixed", ["planned"]],
    ["MIX-", "mixed", ["planned"]],
    ["alloc", "allocated", []],
    ["allocated", "allocated", []],
    ["ALLOC+", "allocated", ["completing"]],
    ["down*", "down", ["not_responding"]],
    ["drain*", "idle", ["drain", "not_responding"]],
    ["drained", "idle", ["drain"]],
    ["drng", "allocated", ["drain"]],
    ["draining@", "allocated", ["drain", "reboot_requested"]],
    ["planned", "idle", ["planned"]],
    ["plnd", "idle", ["planned"]],
    ["inval", "unknown", ["invalid_reg"]],
    ["reserved", "idle", ["reserved"]],
    ["resv", "idle", ["reserved"]],
    ["idle~", "idle", ["powered_down"]],
    ["idle#", "idle", ["powering_up"]],
    ["idle%", "idle", ["powering_down"]],
    ["idle!", "idle", ["power_down"]],
    ["idle$", "idle", ["maintenance"]],
    ["idle^", "idle", ["reboot_issued"]],
    ["comp", "idle", ["completing"]],
    ["completing*", "idle", ["completing", "not_responding"]],
    ["fail", "idle", ["fail"]],
    ["failg", "allocated", ["fail"]],
    ["maint", "idle", ["maintenance"]],
    ["boot^", "idle", ["reboot_requested", "reboot_issued"]],
    ["futr", "future", []],
    ["unk*", "unknown", ["not_responding"]],
    ["POWERED_DOWN", "unknown", ["powered_down"]],
    ["IDLE+PLANNED", "idle", ["planned"]],
    ["MIXED+DRAIN", "mixed", ["drain"]],
    ["IDLE+CLOUD+POWERED_DOWN", "idle", ["cloud", "powered_down"]],
    ["DOWN+DRAIN+NOT_RESPONDING", "down", ["drain", "not_responding"]],
    ["DOWN+INVALID_REG", "down", ["invalid_reg"]],
    ["IDLE+MAINTENANCE+RESERVED", "idle", ["maintenance", "reserved"]],
    ["idle+planned", "idle", ["planned"]],
  ])("%s -> %s %j", (text, base, flags) => {
    const state = parseNodeState(text);
    expect({ base: state.base, flags: [...state.flags].sort(), unknown: state.unknown, raw: state.raw }).toEqual({
      base,
      flags: [...flags].sort(),
      unknown: [],
      raw: text,
    });
  });

  test.each([
    ["blorp", { base: "other", flags: [], unknown: ["BLORP"], raw: "blorp" }],
    ["", { base: "other", flags: [], unknown: [""], raw: "" }],
    ["IDLE+NEW_FLAG", { base: "idle", flags: [], unknown: ["NEW_FLAG"], raw: "IDLE+NEW_FLAG" }],
    ["idle?", { base: "other", flags: [], unknown: ["IDLE?"], raw: "idle?" }],
  ])("%s is kept, never thrown", (text, state) => {
    expect(parseNodeState(text)).toEqual(state);
  });

  test.each([
    ["idle", true],
    ["mixed", true],
    ["mixed-", true],
    ["planned", true],
    ["reserved", true],
    ["idle~", true],
    ["idle#", true],
    ["allocated", true],
    ["drain", false],
    ["drng", false],
    ["down*", false],
    ["idle*", false],
    ["inval", false],
    ["fail", false],
    ["maint", false],
    ["idle%", false],
    ["IDLE+NEW_FLAG", false],
    ["blorp", false],
  ])("nodeAcceptsJobs(%s) = %s", (text, accepts) => {
    expect(nodeAcceptsJobs(parseNodeState(text))).toBe(accepts);
  });
});
