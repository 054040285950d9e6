import { stripVTControlCharacters } from "node:util";
import { afterEach, describe, expect, it, vi } from "vitest";
import { bufferIo } from "../../src/cli/io.ts";
import { cut, NAME_COLUMNS, paint, printJson, printJsonList, renderTable } from "../../src/cli/output.ts";
import { RvError } from "../../src/errors.ts";

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

  it("leaves the header out in a pipe", () => {
    expect(renderTable(bufferIo(), ["id", "state"], [["a", "ok"]])).toBe("a  ok\n");
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
