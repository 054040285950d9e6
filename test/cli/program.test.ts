import type { Command } from "commander";
import { describe, expect, test } from "vitest";
import { buildProgram } from "../../src/cli/program.ts";

const names = (program: Command) => program.commands.flatMap((c) => [c.name(), ...c.aliases()]);
const whole = buildProgram(async () => {}, "test");

describe("a command line builds only the commands its first word needs", () => {
  test("each command is in the program built for its own word, with the same flags as in the whole program", () => {
    for (const word of names(whole)) {
      const own = buildProgram(async () => {}, "test", word);
      const mine = own.commands.find((c) => c.name() === word || c.aliases().includes(word));
      const theirs = whole.commands.find((c) => c.name() === word || c.aliases().includes(word));
      expect(
        mine?.options.map((o) => o.flags),
        word,
      ).toEqual(theirs?.options.map((o) => o.flags));
    }
  });

  test("rv submit builds fewer commands than the whole program; rv --version none", () => {
    expect(names(buildProgram(async () => {}, "test", "submit")).length).toBeLessThan(names(whole).length);
    expect(names(buildProgram(async () => {}, "test", "--version"))).toEqual([]);
  });

  test("help, an unknown word and rv completions get every command", () => {
    for (const word of [undefined, "help", "--help", "sumbit", "completions"]) {
      expect(names(buildProgram(async () => {}, "test", word))).toEqual(names(whole));
    }
  });
});
