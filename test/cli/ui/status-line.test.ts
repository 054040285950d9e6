import { describe, expect, test } from "vitest";
import { statusLine } from "../../../src/cli/ui/status-line.ts";

/** A stand-in for stderr: what was written, and whether it is a terminal. */
function stream(isTTY: boolean, columns = 40) {
  const written: string[] = [];
  const fake = { isTTY, columns, write: (text: string) => written.push(text) > 0 };
  return { stderr: fake as unknown as NodeJS.WriteStream, written };
}

describe("statusLine", () => {
  test("draws nothing when stderr is not a terminal, or with --json", () => {
    for (const [isTTY, json] of [
      [false, false],
      [true, true],
    ]) {
      const { stderr, written } = stream(isTTY as boolean);
      const line = statusLine({ json: json as boolean, stderr });
      line.show("waiting: 1/2 done");
      line.clear();
      expect(line.drawn).toBe(false);
      expect(written).toEqual([]);
    }
  });

  test("redraws in place, cut to the terminal's width, and erases itself once", () => {
    const { stderr, written } = stream(true, 12);
    const line = statusLine({ json: false, stderr });
    line.show("waiting: 1/2 done");
    line.show("waiting: 2/2");
    line.clear();
    line.clear();
    expect(written).toEqual(["\rwaiting: 1/\u001b[K", "\rwaiting: 2/\u001b[K", "\r\u001b[K"]);
  });
});
