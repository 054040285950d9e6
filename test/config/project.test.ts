// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} written as text is what these tests are about
import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { findProjectFile, lineOfKey, loadProject, parseDotenv, parseProjectFile } from "../../src/config/project.ts";
import { RvError } from "../../src/errors.ts";
import { makeHome } from "../helpers/home.ts";

const FILE = "/p/rv.toml";
const parseError = (text: string): RvError => {
  try {
    parseProjectFile(FILE, text);
  } catch (error) {
    if (error instanceof RvError) return error;
    throw error;
  }
  throw new Error("no error");
};

describe("finding rv.toml", () => {
  const at =
    (...files: string[]) =>
    (file: string) =>
      files.includes(file);

  it("is found in the working directory or the nearest directory above it, like git", () => {
    const exists = at("/home/me/proj/rv.toml", "/home/me/rv.toml");
    expect(findProjectFile("/home/me/proj/src/deep", "/home/me", exists)).toBe("/home/me/proj/rv.toml");
    expect(findProjectFile("/home/me/proj", "/home/me", exists)).toBe("/home/me/proj/rv.toml");
    expect(findProjectFile("/home/me/other", "/home/me", exists)).toBe("/home/me/rv.toml");
  });

  it("stops after the home directory when the working directory is inside it", () => {
    const exists = at("/home/rv.toml", "/rv.toml");
    expect(findProjectFile("/home/me/proj", "/home/me", exists)).toBeUndefined();
    expect(findProjectFile("/home/me", "/home/me/", exists)).toBeUndefined();
  });

  it("goes up to / outside the home directory", () => {
    expect(findProjectFile("/scratch/me/proj", "/home/me", at("/rv.toml"))).toBe("/rv.toml");
    expect(findProjectFile("/scratch/me/proj", undefined, at("/scratch/rv.toml"))).toBe("/scratch/rv.toml");
    expect(findProjectFile("/scratch/me/proj", "/home/me", at())).toBeUndefined();
  });

  describe("on disk, with the .env beside it", () => {
    let home: ReturnType<typeof makeHome>;
    beforeEach(() => {
      home = makeHome();
    });
    afterEach(() => home.cleanup());

    it("reads both from a subdirectory", () => {
      const proj = join(home.root, "proj");
      mkdirSync(join(proj, "src"), { recursive: true });
      writeFileSync(join(proj, "rv.toml"), '[jobs.train]\ncommand = "python train.py"\n');
      writeFileSync(join(proj, ".env"), "DATASET=orc\n");
      const project = loadProject(join(proj, "src"), { HOME: home.root });
      expect(project?.file).toBe(join(proj, "rv.toml"));
      expect(project?.dir).toBe(proj);
      expect(project?.data.jobs?.train?.command).toBe("python train.py");
      expect(project?.dotenv?.vars.DATASET?.value).toBe("orc");
      expect(loadProject(home.root, { HOME: home.root })).toBeNull();
    });

    it("refuses an rv.toml or .env that others may write: it would set what every task runs with", () => {
      const proj = join(home.root, "shared");
      mkdirSync(proj);
      writeFileSync(join(proj, "rv.toml"), '[defaults.env]\nLD_PRELOAD = "/tmp/x.so"\n');
      chmodSync(join(proj, "rv.toml"), 0o666);
      expect(() => loadProject(proj, { HOME: home.root })).toThrow(
        /rv\.toml may be written by others: rv does not read it/,
      );
      chmodSync(join(proj, "rv.toml"), 0o644);
      writeFileSync(join(proj, ".env"), "X=1\n");
      chmodSync(join(proj, ".env"), 0o620);
      expect(() => loadProject(proj, { HOME: home.root })).toThrow(/\.env may be written by others/);
    });
  });
});

describe("parsing rv.toml", () => {
  it("takes defaults and jobs, with env values of any TOML scalar as text", () => {
    const data = parseProjectFile(
      FILE,
      [
        "[defaults]",
        'lease = "gpu4"',
        "gpus = 1",
        'tags = ["proj"]',
        "[defaults.env]",
        "OMP_NUM_THREADS = 4",
        "[jobs.train]",
        'command = ["python", "train.py", "--dataset", "${DATASET}"]',
        "retry = 2",
        'after = ["prep-*"]',
        "env = { WANDB = true }",
        "[jobs.prep]",
        'shell = "./prep.sh | tee log"',
      ].join("\n"),
    );
    expect(data.defaults).toEqual({ lease: "gpu4", gpus: 1, tags: ["proj"], env: { OMP_NUM_THREADS: "4" } });
    expect(data.jobs?.train).toMatchObject({ retry: 2, after: ["prep-*"], env: { WANDB: "true" } });
    expect(data.jobs?.prep?.shell).toBe("./prep.sh | tee log");
  });

  it("names the line and column of a TOML syntax error", () => {
    expect(parseError('[jobs.train]\ncommand = "x\n').message).toMatch(/^\/p\/rv\.toml \(line 2, column \d+\): /);
  });

  it("names the line and key of a bad value, deep in a job", () => {
    const text = '[defaults]\ngpus = 1\n\n[jobs.train]\ncommand = "x"\ngpus = "two"\n';
    expect(parseError(text).message).toMatch(/^\/p\/rv\.toml \(line 6\): jobs\.train\.gpus: /);
  });

  it("names the line of an unknown key, in a table or an inline table", () => {
    expect(parseError('[jobs.train]\ncommand = "x"\ngpu = 1\n').message).toBe(
      "/p/rv.toml (line 3): jobs.train.gpu: not a key rv.toml knows",
    );
    expect(parseError('[jobs]\nprep = { command = "x" }\ntrain = { command = "x", gpu = 1 }\n').message).toMatch(
      /^\/p\/rv\.toml \(line 3\): jobs\.train\.gpu: /,
    );
    expect(parseError("gpus = 1\n").message).toMatch(/^\/p\/rv\.toml \(line 1\): gpus: not a key/);
  });

  it("refuses a job with both command and shell, or neither, and a bad env name", () => {
    expect(parseError('[jobs.train]\ncommand = "x"\nshell = "y"\n').message).toMatch(
      /\(line 2\): jobs\.train\.command: give exactly one of command or shell/,
    );
    expect(parseError("[jobs.train]\ngpus = 1\n").message).toMatch(/\(line 1\): jobs\.train\.command: give exactly/);
    expect(parseError('[jobs.train]\ncommand = "x"\n[jobs.train.env]\n"A-B" = "1"\n').message).toMatch(
      /\(line 4\): jobs\.train\.env\.A-B: not a variable name/,
    );
  });

  it("refuses a job's name, a task name or a tag with a newline, naming the character", () => {
    expect(parseError('[jobs."a\\nb"]\ncommand = "x"\n').message).toMatch(
      /jobs\.a\nb: a job's name "a\\nb" has a newline \(\\n\) in it: use letters/,
    );
    expect(parseError('[jobs.train]\ncommand = "x"\nname = "a\\tb"\n').message).toMatch(
      /\(line 3\): jobs\.train\.name: "a\\tb" has a tab \(\\t\) in it/,
    );
    expect(parseError('[defaults]\ntags = ["ok", "a\\u0007"]\n').message).toMatch(
      /\(line 2\): defaults\.tags\.1: "a\\u0007" has control character U\+0007 in it/,
    );
  });
});

describe("lineOfKey", () => {
  const text = [
    "[defaults]", // 1
    "gpus = 1", // 2
    'env.PATH = "/x"', // 3
    '[jobs."my.job"]', // 4
    'command = "x"', // 5
    "  env = { A = '1' }", // 6
    "[jobs.b.env] # comment", // 7
    "B = 2", // 8
  ].join("\n");

  it("finds plain, dotted and quoted keys under the most specific header", () => {
    expect(lineOfKey(text, ["defaults", "gpus"])).toBe(2);
    expect(lineOfKey(text, ["defaults", "env", "PATH"])).toBe(3);
    expect(lineOfKey(text, ["jobs", "my.job", "command"])).toBe(5);
    expect(lineOfKey(text, ["jobs", "my.job", "env", "A"])).toBe(6);
    expect(lineOfKey(text, ["jobs", "b", "env", "B"])).toBe(8);
    expect(lineOfKey(text, ["jobs", "b", "env"])).toBe(7);
    expect(lineOfKey(text, ["jobs", "my.job", "retry"])).toBe(4);
    expect(lineOfKey(text, ["nowhere"])).toBeNull();
  });
});

describe("parsing .env", () => {
  it("takes NAME=VALUE lines, export, comments, and quoted values ('...' literal)", () => {
    const env = parseDotenv(
      "/p/.env",
      ["# data", "export DATASET=orc", "", "ROOT = /data # where", 'MSG="a # b\\n"', "RAW='${HOME}'", "EMPTY="].join(
        "\n",
      ),
    );
    expect(env.vars).toEqual({
      DATASET: { value: "orc", template: true, line: 2 },
      ROOT: { value: "/data", template: true, line: 4 },
      MSG: { value: "a # b\n", template: true, line: 5 },
      RAW: { value: "${HOME}", template: false, line: 6 },
      EMPTY: { value: "", template: true, line: 7 },
    });
  });

  it("names the file and line of a bad line", () => {
    expect(() => parseDotenv("/p/.env", "A=1\nnot a line\n")).toThrow(/^\/p\/\.env \(line 2\): /);
    expect(() => parseDotenv("/p/.env", 'A=1\nB="open\n')).toThrow(/^\/p\/\.env \(line 2\): B: an unclosed "/);
  });
});
