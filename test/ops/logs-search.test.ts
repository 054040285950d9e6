import { describe, expect, it } from "vitest";
import { grepLines, searchPattern } from "../../src/ops/logs-search.ts";

describe("rv logs --search", () => {
  it("numbers the matching lines from 1 and stops at the limit", () => {
    const text = "step 1 loss=0.9\nnothing\nstep 2 loss=0.5\nstep 3 loss=0.2\n";
    expect(grepLines(text, /loss=\d/, 2)).toEqual([
      { line: 1, text: "step 1 loss=0.9" },
      { line: 3, text: "step 2 loss=0.5" },
    ]);
    expect(grepLines(text, searchPattern("LOSS", true), 10)).toHaveLength(3);
  });

  it("a pattern that is no regular expression is a usage error that says why", () => {
    expect(() => searchPattern("loss=(", false)).toThrow(/--search "loss=\(": /);
  });
});
