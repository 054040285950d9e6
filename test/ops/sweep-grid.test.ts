import { describe, expect, test } from "vitest";
import { RvError } from "../../src/errors.ts";
import {
  expandGrid,
  fillPlaceholders,
  groupValues,
  parseGrid,
  pointName,
  unclosedGroup,
} from "../../src/ops/sweep/grid.ts";
import { parsePoints } from "../../src/ops/sweep/points.ts";

const expand = (...argv: string[]) => expandGrid(parseGrid(argv));

describe("a sweep's grid", () => {
  test("brace lists and ranges are axes named after their flag; the last varies fastest", () => {
    const points = expand("python", "train.py", "--lr", "{1e-3,3e-4}", "--seed={1..3}");
    expect(points.map((p) => p.params)).toEqual([
      { lr: "1e-3", seed: "1" },
      { lr: "1e-3", seed: "2" },
      { lr: "1e-3", seed: "3" },
      { lr: "3e-4", seed: "1" },
      { lr: "3e-4", seed: "2" },
      { lr: "3e-4", seed: "3" },
    ]);
    expect(points[4]?.argv).toEqual(["python", "train.py", "--lr", "3e-4", "--seed=2"]);
  });

  test("ranges: a step, counting down, zero padding, negatives", () => {
    expect(groupValues("0..20..5")).toEqual(["0", "5", "10", "15", "20"]);
    expect(groupValues("3..1")).toEqual(["3", "2", "1"]);
    expect(groupValues("08..11")).toEqual(["08", "09", "10", "11"]);
    expect(groupValues("-1..1")).toEqual(["-1", "0", "1"]);
  });

  test("what is not a group is left exactly as typed: JSON, one item, empty, escaped, spaces", () => {
    const shellSyntax = `echo $${"{x,,}"}`; // bash's ${x,,}, written so that it is not a template
    const argv = ["run", '{"a":1,"b":2}', "{x}", "{}", "\\{a,b}", "{a b,c}", "x{'q',r}", shellSyntax];
    const points = expand(...argv);
    expect(points).toEqual([
      { params: {}, argv: ["run", '{"a":1,"b":2}', "{x}", "{}", "{a,b}", "{a b,c}", "x{'q',r}", shellSyntax] },
    ]);
  });

  test("several groups in one element; positional groups are p1, p2; repeated names get a suffix", () => {
    const points = expand("echo", "{a,b}-{1..2}", "--n", "{x,y}", "--n", "{u,v}");
    expect(Object.keys(points[0]?.params ?? {})).toEqual(["p1", "p2", "n", "n_2"]);
    expect(points).toHaveLength(16);
    expect(points[0]?.argv).toEqual(["echo", "a-1", "--n", "x", "--n", "u"]);
    expect(expand("train", "lr={0.1,0.2}")[1]?.params).toEqual({ lr: "0.2" });
  });

  test("a grid too large or a step of 0 is refused with what to do", () => {
    expect(() => expand("x", "{1..1000}", "{1..1000}")).toThrow(/1000000 points, more than 100000/);
    expect(() => expand("x", "{1..5..0}")).toThrow(RvError);
  });

  test("names: lr=1e-3,seed=1 by default; a template fills parameters and {i}; an unknown one is refused", () => {
    const [first] = expand("t", "--lr", "{1e-3,3e-4}", "--seed", "{1..2}");
    if (!first) throw new Error("no point");
    expect(pointName(undefined, first, 0)).toBe("lr=1e-3,seed=1");
    expect(pointName("run-{i}-lr{lr}", first, 6)).toBe("run-7-lr1e-3");
    expect(() => pointName("{momentum}", first, 0)).toThrow(/no parameter momentum/);
    expect(pointName(undefined, { params: {}, argv: ["t"] }, 0)).toBeUndefined();
    // A name with no placeholder is a prefix on a grid (the points are never all named alike), as it is on one point.
    expect(pointName("exp", first, 6)).toBe("exp-7");
    expect(pointName("exp", { params: {}, argv: ["t"] }, 0)).toBe("exp");
  });

  test("--from points fill {name} placeholders; a missing or an unused parameter is refused, naming it", () => {
    const argv = ["python", "x.py", "--lr", "{lr}", "--json", '{"k":1}', "\\{lr}"];
    expect(fillPlaceholders(argv, [{ lr: "0.1" }])[0]?.argv).toEqual([
      "python",
      "x.py",
      "--lr",
      "0.1",
      "--json",
      '{"k":1}',
      "{lr}",
    ]);
    expect(() => fillPlaceholders(argv, [{ seed: "1" }])).toThrow(/point 1 has no value for \{lr\}/);
    expect(() => fillPlaceholders(argv, [{ lr: "1", seed: "1" }])).toThrow(/no \{seed\}/);
  });
});

describe("points from a file", () => {
  test("JSON lines keep numbers as JSON writes them; a bad line is named and nothing is taken", () => {
    expect(parsePoints('{"lr": 0.001, "seed": 1}\n# a comment\n\n{"lr": "3e-4", "seed": 2}\n', "p.jsonl")).toEqual([
      { lr: "0.001", seed: "1" },
      { lr: "3e-4", seed: "2" },
    ]);
    expect(() => parsePoints('{"lr": 1}\n[1, 2]\n', "p.jsonl")).toThrow(/p\.jsonl, line 2: expected an object/);
    expect(() => parsePoints('{"lr": {"x": 1}}\n', "p.jsonl")).toThrow(/line 1: lr: expected a string or number/);
  });

  test("CSV: a header, quoted fields with commas, quotes and newlines, CRLF; a short row is named", () => {
    const text = 'name,args\r\nplain,"a,b"\r\n"say ""hi""","two\nlines"\r\n';
    expect(parsePoints(text, "p.csv")).toEqual([
      { name: "plain", args: "a,b" },
      { name: 'say "hi"', args: "two\nlines" },
    ]);
    expect(() => parsePoints("a,b\n1\n", "p.csv")).toThrow(/p\.csv, line 2: 1 fields where the header has 2/);
    expect(() => parsePoints('a\n"open\n', "p.csv")).toThrow(/not closed/);
    expect(() => parsePoints("a,b\n", "p.csv")).toThrow(/no points/);
  });

  test("YAML: a list of mappings; plain values keep their text (1e-3 stays 1e-3), quoted ones their string", () => {
    const text = "- {lr: 1e-3, seed: 1}\n- lr: 3e-4\n  seed: 02\n  opt: 'adam w'\n";
    expect(parsePoints(text, "p.yaml")).toEqual([
      { lr: "1e-3", seed: "1" },
      { lr: "3e-4", seed: "02", opt: "adam w" },
    ]);
    expect(() => parsePoints("- {lr: 1}\n- 3\n", "p.yml")).toThrow(/p\.yml, line 2: expected a mapping/);
    expect(() => parsePoints("- {lr: [1, 2]}\n", "p.yaml")).toThrow(/line 1: lr: expected a string or number/);
    expect(() => parsePoints("lr: 1\n", "p.yaml")).toThrow(/line 1: expected a list of points/);
    expect(() => parsePoints("- {lr: 1\n", "p.yaml")).toThrow(/p\.yaml, line \d+: /);
    expect(() => parsePoints("", "p.yaml")).toThrow(/no points/);
  });
});

describe("a group begun and never closed (unclosedGroup)", () => {
  test("names the first word that opens a list or a range it does not close", () => {
    expect(unclosedGroup(["python", "train.py", "--lr", "{1e-3,3e-4"])).toBe("{1e-3,3e-4");
    expect(unclosedGroup(["echo", "seed{1..3"])).toBe("seed{1..3");
  });

  test("says nothing of closed groups, a lone brace, or JSON", () => {
    expect(unclosedGroup(["echo", "{a,b}", "{1..3}"])).toBeUndefined();
    expect(unclosedGroup(["echo", "{", "x}", '{"a": 1}'])).toBeUndefined();
  });
});
