import { describe, expect, test } from "vitest";
import { RvError } from "../../src/errors.ts";
import { formatDuration, instantFromEpoch, parseDuration, parseInstant } from "../../src/slurm/index.ts";
import { at, seconds, UTC } from "./fixture.ts";

describe("parseDuration", () => {
  test.each([
    ["1-02:03:04", seconds(93784)],
    ["02:03:04", seconds(7384)],
    ["03:04", seconds(184)],
    ["0:05", seconds(5)],
    ["2:00", seconds(120)],
    ["5", seconds(300)],
    ["1-02", seconds(93600)],
    ["1-02:30", seconds(95400)],
    ["7-00:00:00", seconds(604800)],
    ["00:00:02", seconds(2)],
    ["00:02.123", seconds(2)],
    ["UNLIMITED", { kind: "unlimited" }],
    ["infinite", { kind: "unlimited" }],
    ["INFINITE", { kind: "unlimited" }],
    ["N/A", { kind: "none" }],
    ["NONE", { kind: "none" }],
    ["", { kind: "none" }],
    ["Partition_Limit", { kind: "partition_limit" }],
    ["soon", { kind: "other", raw: "soon" }],
    ["1:2:3:4", { kind: "other", raw: "1:2:3:4" }],
  ])("%s", (text, duration) => {
    expect(parseDuration(text)).toEqual(duration);
  });

  test.each([
    [59, "00:00:59"],
    [7384, "02:03:04"],
    [93784, "1-02:03:04"],
    [10799.2, "03:00:00"],
  ])("formatDuration(%d) = %s, which reads back", (s, text) => {
    expect(formatDuration(s)).toBe(text);
    expect(parseDuration(text)).toEqual(seconds(Math.ceil(s)));
  });
});

describe("parseInstant", () => {
  test.each([
    ["2026-11-23T02:40:01", at("2026-11-23T02:40:01")],
    ["2026-11-23T02:40", at("2026-11-23T02:40:00")],
    ["1795401896", { kind: "at", epoch: 1795401896 }],
    ["Unknown", { kind: "unknown" }],
    ["None", { kind: "none" }],
    ["N/A", { kind: "none" }],
    ["", { kind: "none" }],
    ["2026-13-01T00:00:00", { kind: "other", raw: "2026-13-01T00:00:00" }],
    ["Tomorrow 02:00", { kind: "other", raw: "Tomorrow 02:00" }],
  ])("%s (read as UTC)", (text, instant) => {
    expect(parseInstant(text, UTC)).toEqual(instant);
  });

  test("the notes' '%s' sample is the same instant as 02:44:56 in the lab's zone (UTC)", () => {
    expect(parseInstant("1795401896")).toEqual(parseInstant("2026-11-23T02:44:56", UTC));
  });

  test.each([
    ["2026-11-23T02:40:01", "2026-11-23T07:40:01"], // EST, UTC-5
    ["2026-07-01T12:00:00", "2026-07-01T16:00:00"], // EDT, UTC-4
  ])("a named zone: %s in New York is %s UTC", (wall, utc) => {
    expect(parseInstant(wall, { timeZone: "America/New_York" })).toEqual(at(utc));
  });

  test("without a zone, this process's zone (where the command ran)", () => {
    expect(parseInstant("2026-11-23T02:40:01")).toEqual({
      kind: "at",
      epoch: new Date(2026, 10, 23, 2, 40, 1).getTime() / 1000,
    });
  });

  test("a zone that does not exist is the caller's mistake: RvError usage", () => {
    expect(() => parseInstant("2026-11-23T02:40:01", { timeZone: "Mars/Olympus" })).toThrow(RvError);
  });

  test.each([
    [1795401896, { kind: "at", epoch: 1795401896 }],
    [0, { kind: "unknown" }],
    [null, { kind: "none" }],
  ])("instantFromEpoch(%s)", (epoch, instant) => {
    expect(instantFromEpoch(epoch)).toEqual(instant);
  });
});
