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

describe("rv --help", () => {
  test("lists the commands under headings, in order, every command under one", () => {
    const help = whole.helpInformation();
    const headings = [...help.matchAll(/^(\S[^\n]*):$/gm)].map((m) => m[1]);
    expect(headings).toEqual([
      "Options",
      "Run tasks",
      "Follow them",
      "Act on them",
      "Hold GPUs",
      "From the laptop",
      "Clusters",
      "Other commands",
    ]);
    const under = (heading: string) => help.split(`${heading}:\n`)[1]?.split("\n\n")[0] ?? "";
    expect(under("Run tasks")).toMatch(/^ {2}submit /m);
    expect(under("Follow them")).toMatch(/^ {2}wait /m);
    expect(under("Other commands")).toMatch(/^ {2}help /m);
    const listed = whole.createHelp().visibleCommands(whole);
    expect(listed.length).toBeGreaterThan(30);
    for (const command of listed) expect(help).toMatch(new RegExp(`^ {2}${command.name()}\\b`, "m"));
  });
});

describe("rv sweep's subcommands", () => {
  /** Parses a command line; what it dispatched (0 or 1 calls) or the usage error commander raised. */
  async function parsed(words: string[]): Promise<{ dispatched: number; error?: string }> {
    let dispatched = 0;
    const program = buildProgram(
      async () => {
        dispatched++;
      },
      "test",
      words[0],
    );
    let error: string | undefined;
    const silent = (command: Command): void => {
      command.configureOutput({ writeOut: () => {}, writeErr: () => {} });
      for (const sub of command.commands) silent(sub);
    };
    silent(program);
    try {
      await program.parseAsync(words, { from: "user" });
    } catch (thrown) {
      error = (thrown as Error).message;
    }
    return { dispatched, error };
  }

  test("show and ls before -- are the subcommands; a word after -- is the command to sweep", async () => {
    expect(await parsed(["sweep", "show", "sw-1"])).toEqual({ dispatched: 1, error: undefined });
    expect(await parsed(["sweep", "ls", "--json"])).toEqual({ dispatched: 1, error: undefined });
    expect(await parsed(["sweep", "--", "echo", "ls", "{a,b}"])).toEqual({ dispatched: 1, error: undefined });
    expect(await parsed(["sweep", "show", "--", "sw-1"])).toEqual({ dispatched: 1, error: undefined });
  });

  test("show or ls right after --, even after a flag whose value is the same word, is refused and says what to type", async () => {
    for (const words of [
      ["sweep", "--", "ls", "-l", "{a,b}"],
      ["sweep", "--dry-run", "--", "show", "{a,b}"],
      ["sweep", "--name", "ls", "--", "ls", "{a,b}"],
    ]) {
      const { dispatched, error } = await parsed(words);
      expect(dispatched, words.join(" ")).toBe(0);
      expect(error, words.join(" ")).toContain("not the command to sweep: give the program's path");
    }
  });

  test("help says nothing of a repeatable flag's empty default", () => {
    const sweep = whole.commands.find((c) => c.name() === "sweep");
    expect(sweep?.helpInformation()).toContain("--tag <tag>");
    expect(sweep?.helpInformation()).not.toContain("(default: [])");
  });
});
