// biome-ignore-all lint/suspicious/noTemplateCurlyInString: ${VAR} written as text is what these tests are about
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { json, useRvHome } from "../helpers/lease.ts";
import { rv } from "../helpers/rv.ts";

const SHOW = [
  "import json, os, sys",
  'keys = ["DATASET", "DATA", "SECRET", "WANDB_MODE"]',
  'print(json.dumps({"argv": sys.argv[1:], "env": {k: os.environ.get(k) for k in keys}, "cwd": os.getcwd()}))',
].join("\n");

const RV_TOML = [
  "[defaults]",
  'tags = ["proj"]',
  "[defaults.env]",
  'WANDB_MODE = "offline"',
  "",
  "[jobs.train]",
  'description = "train on one dataset"',
  'command = "python3 show.py --dataset ${DATASET} --out ${OUT:-runs}/$${HOME}"',
  'env = { DATASET = "${DATASET}", DATA = "${DATA_ROOT}/${DATASET}" }',
].join("\n");

interface Origin {
  value: unknown;
  origin: string;
  where?: { file: string; line: number | null; key: string };
}

describe("rv.toml jobs (built binary)", () => {
  const home = useRvHome();

  /** A project with rv.toml, show.py and .env, and a subdirectory to work from. */
  function project(): { dir: string; sub: string } {
    const dir = join(home.root, "proj");
    const sub = join(dir, "src");
    mkdirSync(sub, { recursive: true });
    writeFileSync(join(dir, "rv.toml"), `${RV_TOML}\n`);
    writeFileSync(join(dir, "show.py"), `${SHOW}\n`);
    writeFileSync(join(dir, ".env"), "DATA_ROOT=/datasets\nSECRET=hunter2\n");
    return { dir, sub };
  }

  it("rv submit JOB --var value runs the job's command, expanded, with its env, in the project's directory", async () => {
    const { dir, sub } = project();
    const run = await rv(home.root, ["submit", "train", "--dataset", "orc", "--follow"], { cwd: sub });
    expect(run.stderr).not.toMatch(/error/);
    expect(run.exitCode).toBe(0);
    const printed = String(run.stdout).trim().split("\n").at(-1) ?? "";
    expect(JSON.parse(printed)).toEqual({
      argv: ["--dataset", "orc", "--out", "runs/${HOME}"],
      env: { DATASET: "orc", DATA: "/datasets/orc", SECRET: null, WANDB_MODE: "offline" },
      cwd: dir,
    });
    const listed = json<{ tasks: { name: string; tags: string[] }[] }>(
      String((await rv(home.root, ["tasks", "--json"])).stdout),
    );
    expect(listed.tasks[0]).toMatchObject({ name: "train", tags: ["proj"] });
    const file = String((await rv(home.root, ["show", "1", "--json"])).stdout);
    expect(file).not.toContain("hunter2");
  });

  it("rv config show --json says where each value came from", async () => {
    const { dir, sub } = project();
    const shown = await rv(home.root, ["config", "show", "--cpus", "2", "train", "--dataset", "orc", "--json"], {
      cwd: sub,
    });
    expect(shown.exitCode).toBe(0);
    const doc = json<{
      project: string;
      dotenv: string;
      job: string;
      command: Origin;
      settings: Record<string, Origin>;
      env: Record<string, Origin>;
      tags: Origin[];
      variables: Record<string, Origin>;
    }>(String(shown.stdout));
    expect(doc).toMatchObject({ project: join(dir, "rv.toml"), dotenv: join(dir, ".env"), job: "train" });
    expect(doc.command).toMatchObject({
      value: { argv: ["python3", "show.py", "--dataset", "orc", "--out", "runs/${HOME}"] },
      origin: "job",
      where: { line: 8, key: "jobs.train.command" },
    });
    expect(doc.settings.cpus).toEqual({ value: 2, origin: "flag" });
    expect(doc.settings.gpus).toEqual({ value: 0, origin: "default" });
    expect(doc.settings.name).toEqual({ value: "train", origin: "default" });
    expect(doc.settings.cwd).toEqual({ value: dir, origin: "default" });
    expect(doc.env).toEqual({
      WANDB_MODE: { value: "offline", origin: "project" },
      DATASET: { value: "orc", origin: "flag" },
      DATA: { value: "/datasets/orc", origin: "job" },
    });
    expect(doc.tags).toEqual([{ value: "proj", origin: "project" }]);
    expect(doc.variables.DATA_ROOT).toMatchObject({ value: "/datasets", origin: ".env", where: { line: 1 } });
    expect(doc.variables.DATASET).toEqual({ value: "orc", origin: "flag" });
  });

  it("an unset variable, a word the job does not read, and a bad key are errors naming file, line and key", async () => {
    const { dir, sub } = project();
    const unset = await rv(home.root, ["submit", "train"], { cwd: sub });
    expect(unset.exitCode).toBe(2);
    expect(unset.stderr).toContain(`${join(dir, "rv.toml")} (line 9): jobs.train.env.DATASET: \${DATASET} is not set`);
    expect(unset.stderr).toContain("rv submit train --dataset VALUE");
    const typo = await rv(home.root, ["submit", "train", "--datset", "orc"], { cwd: sub });
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toContain("--datset: job train has no ${DATSET}");
    writeFileSync(join(dir, "rv.toml"), `${RV_TOML}\ngpu = 1\n`);
    const bad = await rv(home.root, ["config", "show", "--json"], { cwd: sub });
    expect(bad.exitCode).toBe(2);
    expect(json<{ error: { message: string } }>(String(bad.stdout)).error.message).toBe(
      `${join(dir, "rv.toml")} (line 10): jobs.train.gpu: not a key rv.toml knows`,
    );
  });
});
