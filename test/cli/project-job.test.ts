// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} written as text is what these tests are about
import { describe, expect, it } from "vitest";
import { filesLeftBehind, mergeSubmission, type TaskFlags, withoutSync } from "../../src/cli/commands/job.ts";
import { flagDefaults, type SubmitOptions, specsFromFlags } from "../../src/cli/commands/submit.ts";
import type { Context } from "../../src/cli/context.ts";
import { bufferIo } from "../../src/cli/io.ts";
import { type Project, parseDotenv, parseProjectFile } from "../../src/config/project.ts";
import type { Place } from "../../src/ops/index.ts";

const RV_TOML = [
  "[defaults]", // 1
  'lease = "gpu4"', // 2
  'tags = ["proj"]', // 3
  "retry = 1", // 4
  "[jobs.train]", // 5
  'command = "python train.py --dataset ${DATASET}"', // 6
  "gpus = 2", // 7
  'tags = ["train"]', // 8
  'env = { DATASET = "${DATASET}", ROOT = "${ROOT}" }', // 9
  'after = ["prep-*"]', // 10
  'retryOn = [1, "KILL"]', // 11
  "[jobs.slow]", // 12
  'command = "sleep 9"', // 13
  'timeout = "${LIMIT:-2 days}"', // 14
].join("\n");

const project: Project = {
  file: "/p/rv.toml",
  dir: "/p",
  text: RV_TOML,
  data: parseProjectFile("/p/rv.toml", RV_TOML),
  dotenv: parseDotenv("/p/.env", "ROOT=/data\n"),
};

const typed = (extra: Partial<SubmitOptions & TaskFlags> = {}): SubmitOptions & TaskFlags => ({
  env: [],
  tag: [],
  after: [],
  ...extra,
});

function merge(argv: string[], flags = typed(), env: NodeJS.ProcessEnv = {}) {
  return mergeSubmission({
    project,
    argv,
    flags,
    env,
    verbFlags: ["--json", "--wait", "--follow"],
    check: (given) => flagDefaults(given, env),
  });
}

describe("a job of rv.toml becomes the flags of rv submit", () => {
  it("submits the same task as the flags typed out by hand: one code path", () => {
    const job = merge(["train", "--dataset", "orc"]);
    const byHand = specsFromFlags(
      ["python", "train.py", "--dataset", "orc"],
      typed({
        lease: "gpu4",
        gpus: "2",
        name: "train",
        retry: "1",
        retryOn: "1,KILL",
        tag: ["proj", "train"],
        after: ["prep-*"],
        env: ["DATASET=orc", "ROOT=/data"],
      }),
      {},
    );
    expect(job.job).toBe("train");
    expect(job.flags.lease).toBe("gpu4");
    expect(specsFromFlags(job.argv, job.flags, {})).toEqual(byHand);
  });

  it("flags typed before the job's name win over the job, the job over the project", () => {
    const job = merge(["train", "--dataset", "orc"], typed({ gpus: "1", lease: "big", retry: "3" }));
    expect(job.flags).toMatchObject({ gpus: "1", lease: "big", retry: "3" });
    expect(job.origins).toMatchObject({
      gpus: { origin: "flag" },
      lease: { origin: "flag" },
      retryOn: { origin: "job", where: { line: 11, key: "jobs.train.retryOn" } },
      name: { origin: "default" },
    });
    expect(merge(["train", "--dataset", "orc"]).origins.lease).toMatchObject({ origin: "project" });
  });

  it("tags and env add up; a typed --env wins for its key; a typed --after replaces the job's", () => {
    const job = merge(
      ["train", "--dataset", "orc"],
      typed({ tag: ["mine", "proj"], env: ["ROOT=/fast", "EXTRA=1"], after: ["prep-1"] }),
    );
    expect(job.flags.tag).toEqual(["proj", "train", "mine"]);
    expect(job.origins.tags).toEqual(["project", "job", "flag"]);
    expect(job.flags.env.sort()).toEqual(["DATASET=orc", "EXTRA=1", "ROOT=/fast"]);
    expect(job.origins.env).toEqual({ DATASET: "flag", ROOT: "flag", EXTRA: "flag" });
    expect(job.flags.after).toEqual(["prep-1"]);
  });

  it("takes rv's own valueless flags among the job's words", () => {
    expect(merge(["train", "--dataset", "orc", "--follow"]).wordFlags).toEqual(new Set(["--follow"]));
  });

  it("a command after -- is never a job; a first word that is no job is a command", () => {
    const dashed = merge(["train", "--dataset", "orc"], typed({ afterDashes: true }));
    expect(dashed.job).toBeNull();
    expect(dashed.argv).toEqual(["train", "--dataset", "orc"]);
    const other = merge(["python", "x.py"]);
    expect(other.job).toBeNull();
    expect(other.argv).toEqual(["python", "x.py"]);
    // The project's defaults still apply to a command of one's own.
    expect(other.flags).toMatchObject({ lease: "gpu4", retry: "1", tag: ["proj"] });
    expect(other.projectDir).toBeNull();
  });

  it("inside a task, the task's own lease wins over rv.toml's; only --lease sends it elsewhere", () => {
    const inTask = { RV_TASK_ID: "t1", RV_LEASE_ID: "own" };
    expect(merge(["python", "x.py"], typed(), inTask).flags.lease).toBeUndefined();
    expect(merge(["python", "x.py"], typed({ lease: "other" }), inTask).flags.lease).toBe("other");
  });

  it("a bad value in rv.toml is told at its line and key, not as the flag it stands for", () => {
    expect(() => merge(["slow"])).toThrow(
      /^\/p\/rv\.toml \(line 14\): jobs\.slow\.timeout: expected a positive duration/,
    );
    expect(() => merge(["slow"], typed(), { LIMIT: "1h" })).not.toThrow();
  });

  it("refuses --shell or --from with a job", () => {
    expect(() => merge(["train", "--dataset", "orc"], typed({ shell: "x" }))).toThrow(/job train gives the command/);
  });

  it("without rv.toml, passes the typed flags through", () => {
    const flags = typed({ gpus: "1", tag: ["a"] });
    const plain = mergeSubmission({ project: null, argv: ["x"], flags, env: {}, verbFlags: [], check: () => {} });
    expect(plain.flags).toBe(flags);
    expect(plain.origins.gpus).toEqual({ value: "1", origin: "flag" });
  });

  it("a job with no cwd runs in the project's directory on this machine, and in the cluster's home there", () => {
    const job = merge(["train", "--dataset", "orc"]);
    expect(job.projectDir).toBe("/p");
    const specs = specsFromFlags(job.argv, job.flags, {});
    const ctx = { io: bufferIo() } as unknown as Context;
    expect(withoutSync(ctx, specs, job.projectDir, { kind: "local" } as Place)[0]?.cwd).toBe("/p");
    expect(withoutSync(ctx, specs, job.projectDir, { kind: "cluster" } as Place)[0]?.cwd).toBeUndefined();
    expect(merge(["train", "--dataset", "orc"], typed({ cwd: "elsewhere" })).projectDir).toBeNull();
  });
});

describe("a cluster task's command naming files of this directory (filesLeftBehind)", () => {
  const here = new Set(["train.py", "run.sh", "configs/a.yaml", "./run.sh"]);
  const isFile = (word: string) => here.has(word);

  it("names each file a command names, once, in order", () => {
    const specs = [{ argv: ["python", "train.py", "--config", "configs/a.yaml"] }, { argv: ["./run.sh", "train.py"] }];
    expect(filesLeftBehind(specs, isFile)).toEqual(["train.py", "configs/a.yaml", "./run.sh"]);
  });

  it("leaves out flags, absolute paths, k=v words, shell strings, and tasks given a --cwd", () => {
    const specs = [
      { argv: ["python", "/abs/train.py", "--run.sh", "out=train.py"] },
      { shell: "python train.py" },
      { argv: ["python", "train.py"], cwd: "/scratch/me/proj" },
    ];
    expect(filesLeftBehind(specs, isFile)).toEqual([]);
  });
});
