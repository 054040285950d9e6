import { describe, expect, test } from "vitest";
import { parseWalltime } from "../../src/cli/flags.ts";
import { durationMs } from "../../src/config/index.ts";

describe("parseWalltime", () => {
  test.each([
    ["90m", 5400],
    ["3h", 10800],
    ["2h30m", 9000],
    ["1d12h", 129600],
    ["45s", 45],
    ["1h30m15s", 5415],
    ["1.5h", 5400],
    ["30", 1800],
    ["2:59:00", 10740],
    ["5:30", 330],
    ["1-00:00:00", 86400],
    ["2-12", 216000],
  ])("%s is %i seconds", (text, seconds) => {
    expect(parseWalltime("--time", text)).toBe(seconds);
  });

  test.each(["", "0", "0m", "soon", "3 h", "1:2:3:4", "-5m"])("%j is refused with the flag named", (text) => {
    expect(() => parseWalltime("--time", text)).toThrow(/--time .*expected a walltime like 90m/);
  });
});

describe("durationMs: the same units, and a bare number is seconds", () => {
  test.each([
    ["90", 90_000],
    ["1.5", 1500],
    ["500ms", 500],
    ["90s", 90_000],
    ["5m30s", 330_000],
    ["2h30m", 9_000_000],
    ["1d12h", 129_600_000],
    ["1.5h", 5_400_000],
  ])("%s is %i ms", (text, ms) => {
    expect(durationMs(text)).toBe(ms);
  });

  test.each(["", "soon", "5 m", "1h1d", "m", "2:59:00", "-5s"])("%j is not a duration", (text) => {
    expect(durationMs(text)).toBeUndefined();
  });
});
