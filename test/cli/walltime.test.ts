import { describe, expect, test } from "vitest";
import { parseWalltime } from "../../src/cli/flags.ts";

describe("parseWalltime", () => {
  test.each([
    ["90m", 5400],
    ["3h", 10800],
    ["2h30m", 9000],
    ["1d12h", 129600],
    ["45s", 45],
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
