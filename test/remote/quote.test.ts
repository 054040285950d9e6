import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { RvError } from "../../src/errors.ts";
import { shJoin, shQuote } from "../../src/remote/index.ts";

const pieces = [
  ..."'\"\\$`!*?[]{}()<>|&;#~ \t\n\r=%^,.:@+-/",
  "é",
  "日本",
  "🙂",
  "\u0001",
  "\u007f",
  "$(id)",
  "`id`",
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a literal shell expansion is the point
  "${HOME}",
  "'\\''",
  "--",
  "-n",
  "%s",
  "\\0",
];

/** Deterministic, so a failure can be replayed. */
function randomGenerator(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state / 2_147_483_648;
  };
}

function randomString(random: () => number): string {
  const length = Math.floor(random() * 12);
  let text = "";
  for (let i = 0; i < length; i++) text += pieces[Math.floor(random() * pieces.length)];
  return text;
}

/** What a POSIX shell makes of the quoted words, read back NUL-separated. */
async function throughShell(shell: string, argv: readonly string[]): Promise<string[]> {
  const { stdout } = await execa(shell, ["-c", `printf '%s\\0' ${shJoin(argv)}`], { encoding: "buffer" });
  const fields = Buffer.from(stdout).toString("utf8").split("\0");
  return fields.slice(0, -1);
}

describe("shQuote", () => {
  it.each([
    ["", "''"],
    ["plain", "'plain'"],
    ["it's", "'it'\\''s'"],
    ["a b", "'a b'"],
    ["$HOME", "'$HOME'"],
    ["line\nbreak", "'line\nbreak'"],
  ])("quotes %j as %s", (text, quoted) => {
    expect(shQuote(text)).toBe(quoted);
  });

  it("rejects a NUL byte as a usage error", () => {
    expect(() => shQuote("a\0b")).toThrow(RvError);
    expect(() => shJoin(["ok", "a\0b"])).toThrow(expect.objectContaining({ code: "usage" }));
  });
});

describe("shJoin round-trips through a real shell", () => {
  it.each(["sh", "bash"])("fixed nasty cases through %s", async (shell) => {
    const argv = ["", " ", "'", "''", '"', "\\", "\n", "a\nb\n", "$x", "`x`", "!", "*", "~", "é🙂", "if", "A=B", "-e"];
    expect(await throughShell(shell, argv)).toEqual(argv);
  });

  it("fuzz: 4000 random strings of shell metacharacters survive sh -c unchanged", async () => {
    const random = randomGenerator(20_240_601);
    for (let round = 0; round < 100; round++) {
      const argv = Array.from({ length: 40 }, () => randomString(random));
      expect(await throughShell("sh", argv)).toEqual(argv);
    }
  });
});
