import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { describe, expect, it } from "vitest";
import { parseBatchOutput, renderBatchScript } from "../../src/remote/batch.ts";
import type { CommandResult, RemoteCommand } from "../../src/remote/index.ts";

const nonce = "abc123";

function header(index: number, exitCode: number, stdout: string, stderr: string): string {
  return `@rv-batch ${nonce} ${index} ${exitCode} ${Buffer.byteLength(stdout)} ${Buffer.byteLength(stderr)}\n`;
}

function frame(index: number, result: CommandResult): string {
  return header(index, result.exitCode, result.stdout, result.stderr) + result.stdout + result.stderr;
}

interface ShellOptions {
  shell?: string;
  /** Printed before the script starts, as a chatty login shell would. */
  loginNoise?: string;
  tmpdir?: string;
}

/** Runs a rendered batch the way ssh does: the script on the shell's stdin. */
async function runWithShell(commands: RemoteCommand[], options: ShellOptions = {}): Promise<CommandResult[]> {
  const { shell = "sh", loginNoise = "", tmpdir } = options;
  const { stdout } = await execa("sh", ["-c", `printf '%s' '${loginNoise}'; exec ${shell} -s`], {
    input: renderBatchScript(commands, nonce),
    encoding: "buffer",
    stripFinalNewline: false,
    env: tmpdir ? { TMPDIR: tmpdir } : {},
  });
  const output = parseBatchOutput(stdout, nonce, commands.length);
  if (!output.complete) throw new Error(`incomplete batch: ${output.problem}`);
  return output.results;
}

describe("parseBatchOutput", () => {
  const first = { exitCode: 0, stdout: "héllo\n", stderr: "" };
  const second = { exitCode: 3, stdout: "no newline", stderr: "warn\n" };
  const stream = Buffer.from(frame(0, first) + frame(1, second));

  it("reads results byte-exactly, counting bytes not characters", () => {
    expect(parseBatchOutput(stream, nonce, 2)).toEqual({ complete: true, results: [first, second] });
  });

  it("skips what a login shell printed before the first header", () => {
    const noisy = Buffer.concat([Buffer.from("Welcome to the cluster!\n@rv-batch other 0 0 0 0\nno newline"), stream]);
    expect(parseBatchOutput(noisy, nonce, 2)).toEqual({ complete: true, results: [first, second] });
  });

  it("reports a stream cut inside a command's output, without partial results", () => {
    expect(parseBatchOutput(stream.subarray(0, stream.length - 2), nonce, 2)).toEqual({
      complete: false,
      started: true,
      received: 1,
      problem: "output ended inside the output of command 1",
    });
  });

  it("reports a stream cut inside a header, or before a header", () => {
    const firstFrame = Buffer.byteLength(frame(0, first));
    expect(parseBatchOutput(stream.subarray(0, firstFrame + 5), nonce, 2)).toMatchObject({
      complete: false,
      received: 1,
    });
    expect(parseBatchOutput(stream.subarray(0, firstFrame), nonce, 2)).toEqual({
      complete: false,
      started: true,
      received: 1,
      problem: "output ended before the result of command 1",
    });
  });

  it("reports no output at all as not started", () => {
    expect(parseBatchOutput(Buffer.from("motd only\n"), nonce, 1)).toMatchObject({ complete: false, started: false });
  });

  it("reports bytes that are not the next header", () => {
    const garbled = Buffer.from(`${frame(0, first)}junk${frame(1, second)}`);
    expect(parseBatchOutput(garbled, nonce, 2)).toMatchObject({ complete: false, received: 1 });
  });

  it("ignores what follows the last result", () => {
    const trailing = Buffer.concat([stream, Buffer.from("logout noise")]);
    expect(parseBatchOutput(trailing, nonce, 2)).toMatchObject({ complete: true });
  });
});

describe("renderBatchScript", () => {
  it("gives every command its own stdin, never the script's", () => {
    const script = renderBatchScript([{ argv: ["cat"] }, { argv: ["cat"], stdin: "x\n" }], nonce);
    const commandLines = script.split("\n").filter((line) => line.startsWith("( "));
    expect(commandLines).toHaveLength(2);
    for (const line of commandLines) expect(line).toMatch(/\) <(\/dev\/null|"\$rv_dir\/\d+\.in") >/);
  });

  it("quotes arguments and environment values", () => {
    const script = renderBatchScript([{ argv: ["echo", "$(id)"], env: { A: "it's" } }], nonce);
    expect(script).toContain(`( export A='it'\\''s'; exec 'echo' '$(id)' )`);
  });

  it("refuses stdin holding the heredoc terminator as a whole line rather than cutting it short", () => {
    expect(() => renderBatchScript([{ argv: ["cat"], stdin: `a\nRV_STDIN_${nonce}_0\nb` }], nonce)).toThrow(/collides/);
  });

  it("refuses a nonce that is not alphanumeric", () => {
    expect(() => renderBatchScript([], "a b")).toThrow(/alphanumeric/);
  });
});

describe("a rendered batch run by a real sh -s", () => {
  it.each(["sh", "bash --posix"])("runs commands in order with separate exit codes and outputs (%s)", async (shell) => {
    const results = await runWithShell(
      [
        { argv: ["sh", "-c", "echo out; echo err >&2; exit 3"] },
        { argv: ["printf", "%s", "no trailing newline"] },
        { argv: ["sh", "-c", 'echo "$GREETING $OTHER"'], env: { GREETING: "hi there", OTHER: "$HOME" } },
        { argv: ["cat"], stdin: "piped\n" },
      ],
      { shell },
    );
    expect(results).toEqual([
      { exitCode: 3, stdout: "out\n", stderr: "err\n" },
      { exitCode: 0, stdout: "no trailing newline", stderr: "" },
      { exitCode: 0, stdout: "hi there $HOME\n", stderr: "" },
      { exitCode: 0, stdout: "piped\n", stderr: "" },
    ]);
  });

  it("reports a missing command as 127 with sh's message, and keeps going", async () => {
    const [missing, after] = await runWithShell([{ argv: ["rv-no-such-command"] }, { argv: ["true"] }]);
    expect(missing?.exitCode).toBe(127);
    expect(missing?.stderr).toMatch(/rv-no-such-command: not found/);
    expect(after?.exitCode).toBe(0);
  });

  it("delivers stdin byte for byte, even text that looks like a terminator or has no final newline", async () => {
    const inputs = [
      `RV_STDIN_${nonce}_0 \n RV_STDIN_${nonce}_0\nRV_STDIN_${nonce}_1x\nRV_STDIN_other_0\n`,
      "EOF\n'EOF'\n$(id) `id` \\\n\n\n",
      "no newline at the end",
      "é🙂\r\n",
      `@rv-batch ${nonce} 0 0 0 0\n`,
    ];
    const results = await runWithShell(inputs.map((stdin) => ({ argv: ["cat"], stdin })));
    expect(results.map((result) => result.stdout)).toEqual(inputs);
  });

  it("gives a command without stdin /dev/null, so it cannot eat the rest of the script", async () => {
    const results = await runWithShell([{ argv: ["cat"] }, { argv: ["echo", "still here"] }]);
    expect(results).toEqual([
      { exitCode: 0, stdout: "", stderr: "" },
      { exitCode: 0, stdout: "still here\n", stderr: "" },
    ]);
  });

  it("passes binary-ish output and output that imitates a header", async () => {
    const binary = "\\001\\002\\377\\376\\n\\r@rv-batch abc123 1 0 0 0\\n";
    const [result] = await runWithShell([{ argv: ["printf", binary] }, { argv: ["true"] }]);
    const expected = Buffer.from([1, 2, 0xff, 0xfe, 10, 13, ...Buffer.from(`@rv-batch ${nonce} 1 0 0 0\n`)]);
    expect(result?.stdout).toBe(expected.toString("utf8"));
  });

  it("carries a few MB of output in both streams", async () => {
    const script = "head -c 3000000 /dev/zero | tr '\\0' x; head -c 1000000 /dev/zero | tr '\\0' y >&2";
    const [result] = await runWithShell([{ argv: ["sh", "-c", script] }]);
    expect(result?.stdout).toHaveLength(3_000_000);
    expect(result?.stderr).toHaveLength(1_000_000);
    expect(result?.stdout.replaceAll("x", "")).toBe("");
  });

  it("skips what the login shell printed first", async () => {
    const results = await runWithShell([{ argv: ["echo", "ok"] }], { loginNoise: "Last login: yesterday" });
    expect(results).toEqual([{ exitCode: 0, stdout: "ok\n", stderr: "" }]);
  });

  it("isolates builtins: exit and cd in one command do not affect the next", async () => {
    const results = await runWithShell([{ argv: ["exit", "4"] }, { argv: ["pwd"] }]);
    expect(results[0]?.exitCode).toBe(127);
    expect(results[1]?.exitCode).toBe(0);
  });

  it("removes its temporary directory", async () => {
    const tmpdir = mkdtempSync(join(os.tmpdir(), "rv-batch-test-"));
    try {
      const [result] = await runWithShell([{ argv: ["sh", "-c", 'ls "$TMPDIR"'] }], { tmpdir });
      expect(result?.stdout).toMatch(/^rv-batch\./);
      expect(readdirSync(tmpdir)).toEqual([]);
    } finally {
      rmSync(tmpdir, { recursive: true, force: true });
    }
  });
});
