import { describe, expect, test } from "vitest";
import { parseAddLine } from "../../../src/cli/tui/add-line.ts";

describe("parseAddLine", () => {
  test("a shell command kept as typed, after optional gpus=, cpus= and name= words", () => {
    expect(parseAddLine("gpus=1 name=lr3 python train.py --lr 3e-4")).toMatchObject({
      shell: "python train.py --lr 3e-4",
      gpus: 1,
      cpus: 1,
      name: "lr3",
    });
    expect(parseAddLine("  echo 'a  b' | wc -c ")).toMatchObject({ shell: "echo 'a  b' | wc -c", gpus: 0 });
  });

  test("nothing to run, or a count that is not one, says what to type", () => {
    expect(() => parseAddLine("gpus=2")).toThrow(
      expect.objectContaining({ code: "usage", hint: expect.stringContaining("gpus=1 python") }),
    );
    expect(() => parseAddLine("gpus=x echo")).toThrow(/gpus/);
  });
});
