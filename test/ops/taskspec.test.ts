import { describe, expect, it } from "vitest";
import { parseEnvFlags } from "../../src/cli/flags.ts";
import { inheritedEnv, loadConfig } from "../../src/config/index.ts";
import { TaskSchema } from "../../src/fsqueue/index.ts";
import { buildTask, checkpointSignalOf, parseSpecLines, timeRequestMs } from "../../src/ops/taskspec.ts";

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
        inherited: inheritedEnv(
          { PATH: "/bin", AWS_SECRET_ACCESS_KEY: "s3cret", LC_ALL: "C", RV_HOME: "/r" },
          { withRvSettings: false },
        ),
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

describe("checkpoint signals and time requests", () => {
  it.each([
    [true, "SIGUSR1"],
    ["USR1", "SIGUSR1"],
    ["SIGUSR2", "SIGUSR2"],
    ["term", "SIGTERM"],
    ["SIGINT", "SIGINT"],
    ["KILL", undefined],
    ["SIGSTOP", undefined],
    ["9", undefined],
    ["", undefined],
  ] as const)("checkpoint %j is %s", (value, want) => {
    expect(checkpointSignalOf(value)).toBe(want);
  });

  it.each([
    ["90s", 90_000],
    ["30m", 1_800_000],
    ["2h", 7_200_000],
    ["1.5h", 5_400_000],
    ["45", 45_000],
    ["0s", undefined],
    ["2 hours", undefined],
    ["-5m", undefined],
  ] as const)("time request %s is %s ms", (text, want) => {
    expect(timeRequestMs(text)).toBe(want);
  });

  it("--from lines take `checkpoint` (true or a name) and `timeRequest`, and name a bad one", () => {
    const text = [
      '{"argv": ["a"], "checkpoint": true, "timeRequest": "2h"}',
      '{"argv": ["b"], "checkpoint": "TERM"}',
      '{"argv": ["c"], "checkpoint": "KILL"}',
      '{"argv": ["d"], "timeRequest": "soon"}',
      '{"argv": ["e"], "checkpoint": false}',
    ].join("\n");
    const { specs, bad } = parseSpecLines(text);
    expect(specs.map((s) => [s.checkpoint, s.timeRequest])).toEqual([
      ["SIGUSR1", "2h"],
      ["SIGTERM", undefined],
    ]);
    expect(bad).toMatchObject([
      { line: 3, reason: 'checkpoint: "KILL" is not a checkpoint signal: use USR1 (the default), USR2, TERM or INT' },
      { line: 4, reason: "timeRequest: expected a positive duration like 90s, 30m or 2h" },
      { line: 5 },
    ]);
  });

  it("a parsed spec parses the same again (specs travel to the cluster as JSON)", () => {
    const { specs } = parseSpecLines('{"argv": ["a"], "checkpoint": "usr2", "timeRequest": "30m"}');
    expect(parseSpecLines(JSON.stringify(specs[0])).specs).toEqual(specs);
  });

  it("buildTask records the checkpoint signal and the time request in ms; without them, neither field", () => {
    const context = {
      id: "0000000001abcd",
      lease: "local",
      cwd: "/work",
      inherited: {},
      host: "h",
      now: new Date("2026-01-01T00:00:00Z"),
      config: loadConfig("/nonexistent", {}),
    };
    const base = { argv: ["true"], gpus: 0, cpus: 1, env: {}, tags: [], strictOrder: false };
    const task = buildTask({ ...base, checkpoint: "SIGUSR1", timeRequest: "90s" }, context);
    expect(TaskSchema.parse(task)).toEqual(task);
    expect(task).toMatchObject({ checkpointSignal: "SIGUSR1", timeRequestMs: 90_000 });
    const plain = buildTask(base, context);
    expect(plain).not.toHaveProperty("checkpointSignal");
    expect(plain).not.toHaveProperty("timeRequestMs");
  });
});
