// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} written as text is what these tests are about
import { describe, expect, it } from "vitest";
import { fill, parseTemplate, refuseInDoubleQuotes, splitWords } from "../../src/config/expand.ts";

const where = { file: "/p/rv.toml", line: 4, key: "jobs.train.command" };
const expand = (text: string, vars: Record<string, string>) =>
  fill(
    parseTemplate(text, where),
    (name) => vars[name],
    (name) => new Error(`unset ${name}`),
  );

describe("${VAR} expansion", () => {
  it("fills ${VAR}, and ${VAR:-default} when the variable is unset or empty", () => {
    expect(expand("--dataset ${DATASET}", { DATASET: "orc" })).toBe("--dataset orc");
    expect(expand("${OUT:-runs}/x", {})).toBe("runs/x");
    expect(expand("${OUT:-runs}/x", { OUT: "" })).toBe("runs/x");
    expect(expand("${OUT:-runs}/x", { OUT: "/tmp" })).toBe("/tmp/x");
  });

  it("takes a default that is itself a template, with spaces and colons", () => {
    expect(expand("${OUT:-${HOME}/runs a:b}", { HOME: "/home/me" })).toBe("/home/me/runs a:b");
  });

  it("$$ is a literal $; a $ before anything but {, and braces without $, are left as typed", () => {
    expect(expand("$${HOME} $$ $HOME $1 a$", { HOME: "/home/me" })).toBe("${HOME} $ $HOME $1 a$");
    expect(expand('{"lr": 1} a}b', {})).toBe('{"lr": 1} a}b');
  });

  it("an unset variable without a default is the caller's error", () => {
    expect(() => expand("${DATASET}", {})).toThrow("unset DATASET");
  });

  it.each(["${}", "${1X}", "${X", "${X:y}", "${X:-a"])("refuses %j, naming the file, line and key", (text) => {
    expect(() => parseTemplate(text, where)).toThrow(/^\/p\/rv\.toml \(line 4\): jobs\.train\.command: /);
  });
});

describe("a command string split into words", () => {
  it("splits at blanks, honours quotes and backslashes, keeps ${...} whole", () => {
    expect(splitWords(`python "my file.py" --msg 'a "b"' x\\ y --out \${OUT:-a b}`)).toEqual([
      "python",
      "my file.py",
      "--msg",
      'a "b"',
      "x y",
      "--out",
      "${OUT:-a b}",
    ]);
    expect(splitWords(`a "" 'q\\'`)).toEqual(["a", "", "q\\"]);
  });

  it("refuses unquoted shell syntax, which would be a plain argument without a shell", () => {
    expect(() => splitWords("python x.py > out.txt", where)).toThrow(/">" is shell syntax/);
    expect(() => splitWords("a | b", where)).toThrow(
      expect.objectContaining({ hint: expect.stringMatching(/shell = /) }),
    );
    expect(splitWords("python -c 'print(1); print(2)'")).toEqual(["python", "-c", "print(1); print(2)"]);
  });

  it("refuses an unclosed quote, naming where", () => {
    expect(() => splitWords(`echo "a`, where)).toThrow(
      /rv\.toml \(line 4\): jobs\.train\.command: an unclosed " quote/,
    );
  });
});

describe("a shell job's references", () => {
  it("are refused inside double quotes, where the quoting of a value would break; outside and in '...' they pass", () => {
    expect(() => refuseInDoubleQuotes('echo "out: ${OUT}"')).toThrow(/a variable inside double quotes/);
    expect(() => refuseInDoubleQuotes('echo out: ${OUT} \'literal ${X}\' "$$" "$${Y}"')).not.toThrow();
    expect(() => refuseInDoubleQuotes('echo "a" ${OUT} "b \\" ${IN}"')).toThrow();
  });
});
