import { describe, expect, it } from "vitest";
import { labelProblem, plainWordProblem } from "../../src/config/names.ts";

describe("labelProblem (task names, tags)", () => {
  it("takes any one line of text: spaces, punctuation, other scripts, 200 characters", () => {
    for (const ok of ["train", "lr=3e-4,seed=1", "my run (2nd try)", "学習-α", "n".repeat(200)]) {
      expect(labelProblem(ok)).toBeUndefined();
    }
  });

  it("refuses a newline, a tab, an escape or another control character, naming it", () => {
    expect(labelProblem("a\nb")).toBe('"a\\nb" has a newline (\\n) in it (a name or tag is one line of text)');
    expect(labelProblem("a\tb")).toMatch(/has a tab \(\\t\) in it/);
    expect(labelProblem("\u001b[31mred")).toMatch(/has an escape \(\\e\) in it/);
    expect(labelProblem("bell\u0007")).toMatch(/has control character U\+0007 in it/);
    expect(labelProblem("c1\u009b")).toMatch(/has control character U\+009B in it/);
    expect(labelProblem("")).toBe("must not be empty");
  });
});

describe("plainWordProblem (lease, sweep and job names)", () => {
  it("takes letters, digits, '.', '_' and '-', starting with a letter or digit", () => {
    for (const ok of ["gpu4", "a.b_c-d", "0abc"]) expect(plainWordProblem(ok)).toBeUndefined();
  });

  it("names the first character that does not fit, and where", () => {
    expect(plainWordProblem("a\nb")).toBe('"a\\nb" has a newline (\\n) in it');
    expect(plainWordProblem("my lease")).toBe('"my lease" has a space in it');
    expect(plainWordProblem("a/b")).toBe("\"a/b\" has '/' in it");
    expect(plainWordProblem("-x")).toBe("\"-x\" starts with '-'");
    expect(plainWordProblem("")).toBe("must not be empty");
  });
});
