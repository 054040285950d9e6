import { RvError } from "../errors.ts";
import { shJoin, shQuote } from "./quote.ts";
import type { CommandResult, RemoteCommand } from "./types.ts";

/**
 * One POSIX sh script that runs many commands in one round trip (fed to `sh -s` on stdin), and the parser of
 * what it prints. Pure: no processes here.
 *
 * Output, per command in order: a header line `@rv-batch <nonce> <index> <exitCode> <stdoutBytes> <stderrBytes>`,
 * then exactly that many raw bytes of stdout, then of stderr. The nonce (random per run) tells the first header
 * apart from anything a login shell's rc files print before the script starts.
 *
 * Output is captured to files and counted once the command exits; a command that leaves a background process
 * writing to its stdout or stderr may add bytes after the count, which the parser reports as a broken stream.
 */

const headerTag = "@rv-batch";
const noncePattern = /^[A-Za-z0-9]+$/;

export type BatchOutput =
  | { complete: true; results: CommandResult[] }
  /**
   * `started`: the first header arrived, so the commands began to run. `received`: results that arrived whole
   * before the stream ended or went wrong; none of them is returned.
   */
  | { complete: false; started: boolean; received: number; problem: string };

export function renderBatchScript(commands: readonly RemoteCommand[], nonce: string): string {
  if (!noncePattern.test(nonce)) throw new RvError("internal", `batch nonce must be alphanumeric: ${nonce}`);
  // The brace group makes sh read the whole script before running any of it: a script cut short in transit
  // must not run a command line that happens to end at a word boundary.
  const lines = ["{", ...prelude(nonce), ...commands.flatMap((command, index) => commandLines(command, index, nonce))];
  return `${[...lines, "exit 0", "}"].join("\n")}\n`;
}

function prelude(nonce: string): string[] {
  return [
    `rv_dir=$(mktemp -d "\${TMPDIR:-/tmp}/rv-batch.XXXXXX") || { echo 'rv-batch: cannot create a temporary directory' >&2; exit 125; }`,
    `trap 'rm -rf "$rv_dir"' EXIT`,
    // Trapping the signals turns them into an exit, so the EXIT trap still removes the temp dir.
    "trap 'exit 129' HUP",
    "trap 'exit 130' INT",
    "trap 'exit 141' PIPE",
    "trap 'exit 143' TERM",
    "rv_report() {",
    `  printf '${headerTag} ${nonce} %s %s %s %s\\n' "$1" "$2" $(($(wc -c <"$rv_dir/$1.out"))) $(($(wc -c <"$rv_dir/$1.err")))`,
    `  cat "$rv_dir/$1.out" "$rv_dir/$1.err"`,
    "}",
  ];
}

function commandLines(command: RemoteCommand, index: number, nonce: string): string[] {
  const exports = Object.entries(command.env ?? {}).map(([name, value]) => `export ${name}=${shQuote(value)}; `);
  // A subshell per command: builtins like `cd` or `exit`, and the exports, stay inside it. `exec` makes the
  // argv a program looked up in PATH, as it is locally, and a missing one fails with sh's own 127 message.
  const run = `( ${exports.join("")}exec ${shJoin(command.argv)} )`;
  const output = `>"$rv_dir/${index}.out" 2>"$rv_dir/${index}.err"`;
  if (!command.stdin) return [`${run} </dev/null ${output}`, `rv_report ${index} $?`];
  return [
    ...stdinFileLines(command.stdin, index, nonce),
    `${run} <"$rv_dir/${index}.in" ${output}`,
    `rv_report ${index} $?`,
  ];
}

/**
 * Writes `stdin` byte for byte to `$rv_dir/<index>.in`. Every command's stdin is redirected because the script
 * itself is sh's stdin: a command reading it would swallow the rest of the batch. A heredoc body always ends
 * with a newline, so text without one gets a newline added and then cut off again by byte count.
 */
function stdinFileLines(stdin: string, index: number, nonce: string): string[] {
  const terminator = `RV_STDIN_${nonce}_${index}`;
  // Only a whole line ends a heredoc; a random nonce makes this practically impossible, but never silent.
  if (stdin.split("\n").includes(terminator)) throw new RvError("internal", "batch nonce collides with a stdin");
  const file = `"$rv_dir/${index}.in"`;
  if (stdin.endsWith("\n")) return [`cat >${file} <<'${terminator}'`, `${stdin}${terminator}`];
  const raw = `"$rv_dir/${index}.raw"`;
  return [
    `cat >${raw} <<'${terminator}'`,
    `${stdin}\n${terminator}`,
    `dd if=${raw} of=${file} bs=${Buffer.byteLength(stdin)} count=1 2>/dev/null`,
  ];
}

export function parseBatchOutput(stdout: Uint8Array, nonce: string, count: number): BatchOutput {
  const bytes = Buffer.from(stdout.buffer, stdout.byteOffset, stdout.byteLength);
  const results: CommandResult[] = [];
  // Anything before the first header is noise from the login shell; after it, every byte is accounted for.
  let position = bytes.indexOf(`${headerTag} ${nonce} `);
  if (count > 0 && position < 0) return { complete: false, started: false, received: 0, problem: "no output arrived" };
  while (results.length < count) {
    const next = readOne(bytes, position, nonce, results.length);
    if ("problem" in next) return { complete: false, started: true, received: results.length, problem: next.problem };
    results.push(next.result);
    position = next.end;
  }
  return { complete: true, results };
}

type ReadOne = { result: CommandResult; end: number } | { problem: string };

function readOne(bytes: Buffer, start: number, nonce: string, index: number): ReadOne {
  if (start >= bytes.length) return { problem: `output ended before the result of command ${index}` };
  const lineEnd = bytes.indexOf("\n", start);
  if (lineEnd < 0) return { problem: `output ended inside the header of command ${index}` };
  const header = parseHeader(bytes.toString("latin1", start, lineEnd), nonce, index);
  if (!header) return { problem: `expected the header of command ${index}, found other bytes` };
  const stdoutEnd = lineEnd + 1 + header.stdoutBytes;
  const end = stdoutEnd + header.stderrBytes;
  if (end > bytes.length) return { problem: `output ended inside the output of command ${index}` };
  const result = {
    exitCode: header.exitCode,
    stdout: bytes.toString("utf8", lineEnd + 1, stdoutEnd),
    stderr: bytes.toString("utf8", stdoutEnd, end),
  };
  return { result, end };
}

function parseHeader(line: string, nonce: string, index: number) {
  const fields = line.split(" ");
  const [tag, lineNonce, lineIndex, ...numbers] = fields;
  if (tag !== headerTag || lineNonce !== nonce || lineIndex !== String(index) || numbers.length !== 3) return;
  if (!numbers.every((field) => /^\d+$/.test(field))) return;
  const [exitCode = 0, stdoutBytes = 0, stderrBytes = 0] = numbers.map(Number);
  return { exitCode, stdoutBytes, stderrBytes };
}
