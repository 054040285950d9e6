// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} written as text is what these tests are about
import { describe, expect, it } from "vitest";
import { type Project, parseDotenv, parseProjectFile } from "../../src/config/project.ts";
import { jobWords, type ResolveInput, resolveProject } from "../../src/config/resolve.ts";
import { shQuote } from "../../src/remote/quote.ts";

function projectOf(lines: string[], dotenv?: string[]): Project {
  const text = lines.join("\n");
  return {
    file: "/p/rv.toml",
    dir: "/p",
    text,
    data: parseProjectFile("/p/rv.toml", text),
    dotenv: dotenv ? parseDotenv("/p/.env", dotenv.join("\n")) : null,
  };
}

function resolve(project: Project, job: string | null, more: Partial<ResolveInput> = {}) {
  return resolveProject({ project, job, variables: {}, flagEnv: {}, env: {}, quote: shQuote, ...more });
}

/** The argv of a resolved job's command. */
const argvOf = (resolved: ReturnType<typeof resolve>) => {
  const command = resolved.command?.value;
  return command && "argv" in command ? command.argv : undefined;
};

/** One variable, X, set in every layer: each test removes the layers above the one it checks. */
const layered = (layers: { job?: boolean; project?: boolean; dotenv?: boolean }) =>
  projectOf(
    [
      "[defaults.env]",
      ...(layers.project ? ['X = "project"'] : []),
      "[jobs.train]",
      'command = "echo ${X}"',
      ...(layers.job ? ['env = { X = "job" }'] : []),
    ],
    layers.dotenv ? ["X=dotenv"] : [],
  );

describe("the precedence of variables: flags > job > project defaults > .env > environment", () => {
  it.each([
    [{ job: true, project: true, dotenv: true }, { X: "flag" }, "flag", "flag"],
    [{ job: true, project: true, dotenv: true }, {}, "job", "job"],
    [{ project: true, dotenv: true }, {}, "project", "project"],
    [{ dotenv: true }, {}, "dotenv", ".env"],
    [{}, {}, "env", "env"],
  ])("layers %j with words %j: X is %s (from %s)", (layers, variables, value, origin) => {
    const resolved = resolve(layered(layers), "train", { variables, env: { X: "env" } });
    expect(argvOf(resolved)).toEqual(["echo", value]);
    expect(resolved.variables.X).toMatchObject({ value, origin });
  });

  it("--env K=V is a flag too: it sets the task's variable and wins over the job's", () => {
    const resolved = resolve(layered({ job: true }), "train", { flagEnv: { X: "typed" } });
    expect(resolved.env.X).toMatchObject({ value: "typed", origin: "flag" });
  });

  it("the task's environment is the keys of the env tables, valued by precedence (a word overrides the job's)", () => {
    const project = projectOf([
      "[defaults.env]",
      'ROOT = "/data"',
      "[jobs.train]",
      'command = "train"',
      'env = { DATASET = "${DATASET:-cifar}", OUT = "${ROOT}/${DATASET:-cifar}" }',
    ]);
    expect(resolve(project, "train").env).toMatchObject({
      ROOT: { value: "/data", origin: "project" },
      DATASET: { value: "cifar", origin: "job" },
      OUT: { value: "/data/cifar", origin: "job" },
    });
    const withWord = resolve(project, "train", { variables: { DATASET: "orc" } });
    expect(withWord.env.DATASET).toMatchObject({ value: "orc", origin: "flag" });
    expect(withWord.env.OUT?.value).toBe("/data/orc");
    expect(Object.keys(withWord.env).sort()).toEqual(["DATASET", "OUT", "ROOT"]);
  });

  it("a value that names its own variable reads it from the layers below", () => {
    const project = projectOf(
      [
        "[defaults.env]",
        'PATH = "/opt/bin:${PATH}"',
        "[jobs.train]",
        'command = "x"',
        'env = { PATH = "/job:${PATH}" }',
      ],
      ["PATH=/dotenv:${PATH}"],
    );
    expect(resolve(project, "train", { env: { PATH: "/usr/bin" } }).env.PATH?.value).toBe(
      "/job:/opt/bin:/dotenv:/usr/bin",
    );
  });

  it("a '...' value of .env is literal; the environment is taken as it is", () => {
    const project = projectOf(["[jobs.t]", 'command = "echo ${A} ${B}"'], ["A='${HOME}'"]);
    const resolved = resolve(project, "t", { env: { HOME: "/h", B: "${HOME}" } });
    expect(argvOf(resolved)).toEqual(["echo", "${HOME}", "${HOME}"]);
  });

  it("variables that refer to each other in a circle are an error naming one of them", () => {
    const project = projectOf(["[jobs.t]", 'command = "echo ${A}"', 'env = { A = "${B}", B = "x${A}" }']);
    expect(() => resolve(project, "t")).toThrow(/jobs\.t\.env\.[AB]: the variables refer to each other in a circle/);
  });
});

describe("an unset variable", () => {
  it("is an error naming the file, the line, the key and the variable, with how to give it", () => {
    const project = projectOf(["[jobs.train]", 'command = "python train.py --dataset ${DATASET}"']);
    const error = (() => {
      try {
        resolve(project, "train");
      } catch (e) {
        return e as Error & { hint?: string };
      }
    })();
    expect(error?.message).toBe("/p/rv.toml (line 2): jobs.train.command: ${DATASET} is not set");
    expect(error?.hint).toMatch(/rv submit train --dataset VALUE/);
    expect(error?.hint).toMatch(/\$\{DATASET:-DEFAULT\}/);
  });

  it("in .env names the .env file and its line", () => {
    const project = projectOf(["[jobs.t]", 'command = "echo ${A}"'], ["", "A=${NOPE}/x"]);
    expect(() => resolve(project, "t")).toThrow("/p/.env (line 2): A: ${NOPE} is not set");
  });
});

describe("a job's command and settings", () => {
  it("splits a command string into words, a value never splitting one; a shell job gets each value quoted", () => {
    const project = projectOf([
      "[jobs.a]",
      "command = \"python 'my train.py' --name ${NAME}\"",
      "[jobs.b]",
      'shell = "echo ${NAME} | tee $$HOME/log"',
    ]);
    const variables = { NAME: "two words; rm -rf ~" };
    expect(resolve(project, "a", { variables }).command?.value).toEqual({
      argv: ["python", "my train.py", "--name", "two words; rm -rf ~"],
    });
    expect(resolve(project, "b", { variables }).command?.value).toEqual({
      shell: "echo 'two words; rm -rf ~' | tee $HOME/log",
    });
  });

  it("takes the job's settings over the project's, expands strings, adds up tags, and resolves cwd in the project", () => {
    const project = projectOf([
      "[defaults]",
      'lease = "gpu4"',
      "gpus = 1",
      'tags = ["proj", "shared"]',
      'cwd = "src"',
      'timeout = "${TIMEOUT:-2h}"',
      "[jobs.train]",
      'command = "x"',
      "gpus = 2",
      'tags = ["shared", "train-${DATASET}"]',
      'after = ["prep-${DATASET}"]',
      'name = "train-${DATASET}"',
      'retryOn = [1, "${SIG}"]',
      "[jobs.eval]",
      'command = "y"',
      'cwd = "/abs"',
    ]);
    const train = resolve(project, "train", { variables: { DATASET: "orc" }, env: { SIG: "KILL" } });
    expect(train.settings).toMatchObject({
      lease: { value: "gpu4", origin: "project", where: { line: 2, key: "defaults.lease" } },
      gpus: { value: 2, origin: "job", where: { line: 9, key: "jobs.train.gpus" } },
      cwd: { value: "/p/src", origin: "project" },
      timeout: { value: "2h", origin: "project" },
      name: { value: "train-orc", origin: "job" },
      after: { value: ["prep-orc"], origin: "job" },
      retryOn: { value: [1, "KILL"] },
    });
    expect(train.tags.map((t) => [t.value, t.origin])).toEqual([
      ["proj", "project"],
      ["shared", "project"],
      ["train-orc", "job"],
    ]);
    const evaluate = resolve(project, "eval");
    expect(evaluate.settings.cwd?.value).toBe("/abs");
    expect(evaluate.settings.name).toEqual({ value: "eval", origin: "default" });
  });

  it("without a job, gives the project's defaults and no command", () => {
    const project = projectOf(["[defaults]", "gpus = 1", "[defaults.env]", 'A = "${B:-b}"']);
    const resolved = resolve(project, null);
    expect(resolved.command).toBeNull();
    expect(resolved.settings.gpus?.value).toBe(1);
    expect(resolved.env.A?.value).toBe("b");
  });

  it("refuses a word no value of the job reads: a typo, or rv's own flag in the job's place", () => {
    const project = projectOf(["[jobs.train]", 'command = "x ${DATASET} ${OUT:-${ROOT}}"']);
    expect(() => resolve(project, "train", { variables: { DATSET: "orc" } })).toThrow(
      "--datset: job train has no ${DATSET}",
    );
    expect(() => resolve(project, "train", { variables: { GPUS: "2" } })).toThrow(/--gpus: job train has no/);
    expect(() => resolve(project, "train", { variables: { DATASET: "a", ROOT: "/r" } })).not.toThrow();
  });
});

describe("the words after a job's name", () => {
  it("--key value and --key=value set KEY: dashes become underscores, letters upper case", () => {
    expect(jobWords("train", ["--dataset", "orc", "--data-dir=/d", "--lr", "-1e-3", "--x=--y"], [])).toEqual({
      variables: { DATASET: "orc", DATA_DIR: "/d", LR: "-1e-3", X: "--y" },
      flags: new Set(),
    });
  });

  it("takes rv's own valueless flags wherever they are", () => {
    expect(jobWords("train", ["--follow", "--dataset", "orc", "--json"], ["--json", "--follow"])).toEqual({
      variables: { DATASET: "orc" },
      flags: new Set(["--follow", "--json"]),
    });
  });

  it("refuses a word that is not --key, and a key without a value", () => {
    expect(() => jobWords("train", ["orc"], [])).toThrow(/"orc": after the job's name come its variables/);
    expect(() => jobWords("train", ["--dataset"], [])).toThrow("--dataset needs a value");
    expect(() => jobWords("train", ["--dataset", "--lr", "1"], [])).toThrow("--dataset needs a value");
  });
});
