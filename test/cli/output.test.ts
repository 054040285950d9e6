import { stripVTControlCharacters } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bufferIo } from "../../src/cli/io.ts";
import { cut, fitWidths, NAME_COLUMNS, paint, printJson, printJsonList, renderTable } from "../../src/cli/output.ts";
import { RvError } from "../../src/errors.ts";

describe("cut (a name as one table cell)", () => {
  it("leaves a name that fits as it is", () => {
    expect(cut("train")).toBe("train");
    expect(cut("n".repeat(NAME_COLUMNS))).toBe("n".repeat(NAME_COLUMNS));
  });

  it("cuts a longer one to the width, ending in an ellipsis", () => {
    expect(cut("n".repeat(200))).toBe(`${"n".repeat(NAME_COLUMNS - 1)}…`);
    expect(cut("abcdefgh", 5)).toBe("abcd…");
    // Counted in the columns a terminal gives them: a wide character (most emoji, CJK) takes two, and is never split.
    expect(cut("😀".repeat(10), 5)).toBe("😀😀…");
    expect(cut("実験の名前です", 8)).toBe("実験の…");
    expect(cut("ab実験", 4)).toBe("ab…");
  });

  it("shows a control character as its escape, so a name an older rv took cannot break the row", () => {
    expect(cut("a\nb\tc")).toBe("a\\nb\\tc");
    expect(cut("bell\u0007")).toBe("bell\\u0007");
  });
});

describe("renderTable (aligned columns)", () => {
  it("aligns the columns after a colored cell: color codes take no room on the screen", () => {
    const io = bufferIo({ isTTY: true, color: true });
    const rows = [
      ["a1", paint(io, "green", "succeeded"), "1"],
      ["b22", paint(io, "red", "failed"), "2"],
    ];
    const lines = renderTable(io, ["id", "state", "att"], rows)
      .split("\n")
      .map((line) => stripVTControlCharacters(line));
    expect(lines.slice(0, 3)).toEqual(["ID   STATE      ATT", "a1   succeeded  1", "b22  failed     2"]);
  });

  it("aligns wide characters by the columns they take on the screen", () => {
    const io = bufferIo({ isTTY: true });
    const text = renderTable(
      io,
      ["name", "state"],
      [
        ["実験", "ok"],
        ["run-1", "ok"],
      ],
    );
    expect(text).toBe("NAME   STATE\n実験   ok\nrun-1  ok\n");
  });

  it("on a narrower terminal cuts only the cuttable columns, with an ellipsis, and the rest stay whole", () => {
    const io = bufferIo({ isTTY: true, columns: 44 });
    const rows = [["0mxa8wfwo1rmw", "lr=1e-3,seed=1", "succeeded", "sh -c 'sleep 1; echo lr=1e-3 seed=1'"]];
    const text = renderTable(io, ["id", "name", "state", "command"], rows, ["name", "command"]);
    expect(text.split("\n")).toEqual([
      "ID             NAME      STATE      COMMAND",
      "0mxa8wfwo1rmw  lr=1e-3…  succeeded  sh -c '…",
      "",
    ]);
    expect(Math.max(...text.split("\n").map((line) => line.length))).toBe(44);
  });

  it("in a pipe, or on a terminal wide enough, cuts nothing", () => {
    const rows = [["a", "a long name here", "a long command here"]];
    const wide = bufferIo({ isTTY: true, columns: 200 });
    expect(renderTable(wide, ["id", "name", "command"], rows, ["name", "command"])).toContain(
      "a long name here  a long command here",
    );
    const pipe = bufferIo({ columns: 10 });
    expect(renderTable(pipe, ["id", "name", "command"], rows, ["name", "command"])).toBe(
      "a  a long name here  a long command here\n",
    );
  });

  it("renders a table of 300,000 rows (its widths are not a spread of each column, which overflows Node's stack)", () => {
    const rows = Array.from({ length: 300_000 }, (_, i) => [String(i), "succeeded"]);
    const text = renderTable(bufferIo(), ["id", "state"], rows);
    expect(text.endsWith("299999  succeeded\n")).toBe(true);
  });

  it("leaves the header out in a pipe", () => {
    expect(renderTable(bufferIo(), ["id", "state"], [["a", "ok"]])).toBe("a  ok\n");
  });
});

describe("fitWidths (a table fitted to the terminal)", () => {
  const whole = Number.POSITIVE_INFINITY;
  it("takes room from the widest cuttable column first, one column at a time", () => {
    // 13 + 20 + 9 + 40, three gaps of 2: 88 columns; 80 leaves the widest, the last, 8 fewer
    expect(fitWidths([13, 20, 9, 40], [whole, 8, whole, 8], 80)).toEqual([13, 20, 9, 32]);
    // 60: 28 to give; 40 comes down to 20, then both take turns
    expect(fitWidths([13, 20, 9, 40], [whole, 8, whole, 8], 60)).toEqual([13, 16, 9, 16]);
  });

  it("never cuts below a column's least, nor a column that must stay whole; the table is left wider then", () => {
    expect(fitWidths([13, 20, 9, 40], [whole, 8, whole, 8], 20)).toEqual([13, 8, 9, 8]);
    expect(fitWidths([13, 9], [whole, whole], 10)).toEqual([13, 9]);
  });

  it("leaves a table that fits as it is", () => {
    expect(fitWidths([13, 20], [whole, 8], 35)).toEqual([13, 20]);
  });
});

describe("printJsonList (a long listing written as it is read)", () => {
  const items = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ id: `t${String(i).padStart(5, "0")}`, name: `n\n${i}`, tags: ["a"] }));

  it.each([
    [false, 0],
    [false, 3],
    [false, 3000],
    [true, 0],
    [true, 3],
    [true, 3000],
  ])("writes the text printJson writes (terminal: %s, %i items), however many chunks it takes", async (isTTY, n) => {
    const whole = bufferIo({ isTTY });
    printJson(whole, { tasks: items(n), total: n, missing: [] });
    const streamed = bufferIo({ isTTY });
    const code = await printJsonList(streamed, "tasks", items(n), () => ({ total: n, missing: [] }));
    expect(code).toBe(0);
    expect(streamed.stdout()).toBe(whole.stdout());
  });

  it("reads the rest only once the list is read: a total counted as it goes is whole", async () => {
    const io = bufferIo();
    let total = 0;
    function* counted() {
      for (const item of items(5)) {
        total++;
        yield item;
      }
    }
    await printJsonList(io, "tasks", counted(), () => ({ total }));
    expect(JSON.parse(io.stdout()).total).toBe(5);
  });

  it("fails like any command when the list fails before any of it went out: nothing is written", async () => {
    const io = bufferIo();
    function* failing(): Generator<unknown> {
      yield* items(2);
      throw new RvError("not_found", "no lease x");
    }
    await expect(printJsonList(io, "tasks", failing(), () => ({}))).rejects.toThrow("no lease x");
    expect(io.stdout()).toBe("");
  });

  it("ends the one document with the error, and answers its exit code, when the list fails after some went out", async () => {
    const io = bufferIo();
    function* failing(): Generator<unknown> {
      yield* items(3000);
      throw new RvError("bad_record", "the done index is damaged");
    }
    const missing = [{ cluster: "c1", code: "unreachable" }];
    const code = await printJsonList(io, "tasks", failing(), () => ({ total: 3000 }), { missing });
    expect(code).toBe(4);
    const doc = JSON.parse(io.stdout());
    expect(doc.error).toEqual({ code: "bad_record", message: "the done index is damaged", hint: null });
    expect(doc.tasks.length).toBeGreaterThan(0);
    expect(doc.total).toBeUndefined();
    expect(doc.missing).toEqual(missing); // what was known before the listing failed is still said
  });

  afterEach(() => vi.unstubAllEnvs());

  it("reports a bug partway as the CLI reports one: its trace under RV_DEBUG=1, as the hint promises", async () => {
    vi.stubEnv("RV_DEBUG", "1");
    const io = bufferIo();
    function* failing(): Generator<unknown> {
      yield* items(3000);
      (undefined as unknown as { id: string }).id;
    }
    const code = await printJsonList(io, "tasks", failing(), () => ({}));
    expect(code).toBe(1);
    expect(JSON.parse(io.stdout()).error).toMatchObject({
      code: "internal",
      hint: expect.stringMatching(/RV_DEBUG=1/),
    });
    expect(io.stderr()).toMatch(/TypeError: .*\n\s+at failing/);
  });

  it("writes the members known before the listing after those read with it, as printJson of them all would", async () => {
    const whole = bufferIo();
    printJson(whole, { tasks: items(3), total: 3, missing: [] });
    const streamed = bufferIo();
    await printJsonList(streamed, "tasks", items(3), () => ({ total: 3 }), { missing: [] });
    expect(streamed.stdout()).toBe(whole.stdout());
  });
});
