import { describe, expect, it } from "vitest";
import { localRemote } from "../../src/remote/index.ts";

describe("localRemote", () => {
  const remote = localRemote();

  it("runs commands in order, each with its own exit code, output, stdin and env", async () => {
    const results = await remote.run([
      { argv: ["sh", "-c", "echo out; echo err >&2; exit 3"] },
      { argv: ["cat"], stdin: "no newline" },
      { argv: ["sh", "-c", 'echo "$RV_TEST_VALUE:$HOME"'], env: { RV_TEST_VALUE: "a b" } },
      { argv: ["cat"] },
    ]);
    expect(results).toEqual([
      { exitCode: 3, stdout: "out\n", stderr: "err\n" },
      { exitCode: 0, stdout: "no newline", stderr: "" },
      { exitCode: 0, stdout: `a b:${process.env.HOME}\n`, stderr: "" },
      { exitCode: 0, stdout: "", stderr: "" },
    ]);
  });

  it("reports a missing program as exit 127 with a not-found message, like sh", async () => {
    const [result] = await remote.run([{ argv: ["rv-no-such-command"] }]);
    expect(result).toEqual({ exitCode: 127, stdout: "", stderr: "rv: rv-no-such-command: not found\n" });
  });

  it("reports death by signal as 128 + the signal number, like sh", async () => {
    const [result] = await remote.run([{ argv: ["sh", "-c", "kill -TERM $$"] }]);
    expect(result?.exitCode).toBe(143);
  });

  it("rejects what a remote could not deliver, as ssh would", async () => {
    await expect(remote.run([{ argv: ["echo", "a\0b"] }])).rejects.toMatchObject({ code: "usage" });
    await expect(remote.run([{ argv: ["true"], env: { "NOT-A-NAME": "x" } }])).rejects.toMatchObject({ code: "usage" });
    await expect(remote.run([{ argv: [] }])).rejects.toMatchObject({ code: "usage" });
  });
});
