import { describe, expect, it } from "vitest";
import { cut, NAME_COLUMNS } from "../../src/cli/output.ts";

describe("cut (a name as one table cell)", () => {
  it("leaves a name that fits as it is", () => {
    expect(cut("train")).toBe("train");
    expect(cut("n".repeat(NAME_COLUMNS))).toBe("n".repeat(NAME_COLUMNS));
  });

  it("cuts a longer one to the width, ending in an ellipsis", () => {
    expect(cut("n".repeat(200))).toBe(`${"n".repeat(NAME_COLUMNS - 1)}…`);
    expect(cut("abcdefgh", 5)).toBe("abcd…");
    // Counted in characters, not UTF-16 units: a character outside the BMP is never split.
    expect(cut("😀".repeat(10), 5)).toBe("😀😀😀😀…");
  });

  it("shows a control character as its escape, so a name an older rv took cannot break the row", () => {
    expect(cut("a\nb\tc")).toBe("a\\nb\\tc");
    expect(cut("bell\u0007")).toBe("bell\\u0007");
  });
});
