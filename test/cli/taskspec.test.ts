import { describe, expect, it } from "vitest";
import { buildTask, parseEnvFlags, parseSpecLines } from "../../src/cli/taskspec.ts";
import { loadConfig } from "../../src/config/index.ts";
import { TaskSchema } from "../../src/fsqueue/index.ts";

describe("parseSpecLines", () => {
  it("reads one task per line, skipping blank and # lines, and numbers every bad line", () => {
    const text = [
      '{"argv": ["python", "x.py"], "gpus": 1, "name": "a"}',
      "",
      "# a comment",
      '{"shell": "echo hi | wc -c"}',
      "{oops",
      '{"argv": [], "gpus": 1}',
      '{"argv": ["x"], "shell": "y"}',
      '{"argv": ["x"], "gpus": -1}',
      '{"argv": ["x"], "typo": true}',
    ].join("\n");
    const { specs, bad } = parseSpecLines(text);
    expect(specs.map((s) => s.argv ?? s.shell)).toEqual([["python", "x.py"], "echo hi | wc -c"]);
    expect(bad.map((b) => b.line)).toEqual([5, 6, 7, 8, 9]);
    expect(bad[0]?.reason).toMatch(/^not JSON/);
    expect(bad[2]?.reason).toMatch(/exactly one of `argv`/);
    expect(bad[4]?.reason).toMatch(/typo/);
  });
});

describe("parseEnvFlags", () => {
  it("takes K=V verbatim (values may hold '='), and K alone from the environment", () => {
    expect(parseEnvFlags(["A=1=2", "B=", "HOME"], { HOME: "/h" })).toEqual({ A: "1=2", B: "", HOME: "/h" });
  });
  it("says what is wrong with a bad name or a missing variable", () => {
    expect(() => parseEnvFlags(["1A=x"], {})).toThrow(/"1A" is not a variable name/);
    expect(() => parseEnvFlags(["MISSING"], {})).toThrow(/MISSING is not set in your environment/);
  });
});

describe("buildTask", () => {
  it("builds a valid v1 task with an allowlisted environment and an absolute cwd", () => {
    const config = loadConfig("/nonexistent", {});
    const task = buildTask(
      { argv: ["true"], gpus: 2, cpus: 1, env: { X: "1" }, tags: [], strictOrder: false, cwd: "sub" },
      {
        id: "0000000001abcd",
        lease: "local",
        cwd: "/work",
        env: { PATH: "/bin", AWS_SECRET_ACCESS_KEY: "s3cret", LC_ALL: "C", RV_HOME: "/r" },
        host: "h",
        now: new Date("2026-01-01T00:00:00Z"),
        config,
      },
    );
    expect(TaskSchema.parse(task)).toEqual(task);
    expect(task.env).toEqual({ PATH: "/bin", LC_ALL: "C", X: "1" });
    expect(task.cwd).toBe("/work/sub");
    expect(task).toMatchObject({ attempt: 1, crashes: 0, maxCrashes: 3, gpus: 2 });
  });
});
