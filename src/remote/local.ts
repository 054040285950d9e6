import { constants as osConstants } from "node:os";
import { RvError } from "../errors.ts";
import { gaveUp, pipeTo } from "./stream.ts";
import type { CommandResult, FileRemote, RemoteCommand } from "./types.ts";
import { validateCommands } from "./validate.ts";

/** Runs commands on this machine, one process each, with the same results a shell on a login node would give. */
export function localRemote(): FileRemote {
  return {
    where: "this machine",
    async run(commands) {
      validateCommands(commands);
      const results: CommandResult[] = [];
      for (const command of commands) results.push(await runLocally(command));
      return results;
    },
    async runWithStdinFile(argv, localFile) {
      validateCommands([{ argv }]);
      return spawn(argv, { inputFile: localFile });
    },
    async stream(argv, stdin, sink, hangUp, giveUp) {
      validateCommands([{ argv, stdin }]);
      const [file = "", ...args] = argv;
      // Loaded when a process starts, not with this file: execa costs ~5 ms of start-up, and a local submit starts none.
      const { execa } = await import("execa");
      // Its own process group, as over ssh: Ctrl-C reaches the caller, which hangs up by closing stdin.
      const child = execa(file, args, { reject: false, buffer: false, detached: true, cancelSignal: giveUp });
      const finished = await pipeTo(child, stdin, sink, hangUp);
      if (finished.isCanceled) throw gaveUp("this machine");
      if (finished.code === "ENOENT") sink.err(`rv: ${file}: not found\n`);
      return toCommandResult(file, { ...finished, stdout: "", stderr: "" }).exitCode;
    },
  };
}

function runLocally({ argv, env, stdin }: RemoteCommand): Promise<CommandResult> {
  return spawn(argv, stdin === undefined ? { env, stdin: "ignore" } : { env, input: stdin });
}

type Feed = { inputFile: string } | { input: string } | { stdin: "ignore" };

async function spawn(argv: readonly string[], options: Feed & { env?: RemoteCommand["env"] }): Promise<CommandResult> {
  const [file = "", ...args] = argv;
  const { execa } = await import("execa");
  const finished: Finished = await execa(file, args, { ...options, reject: false, stripFinalNewline: false });
  return toCommandResult(file, finished);
}

interface Finished {
  exitCode?: number;
  signal?: string;
  code?: unknown;
  isMaxBuffer: boolean;
  shortMessage?: unknown;
  stdout: string;
  stderr: string;
}

/** Maps what execa saw to what sh reports, so callers need not care where a command ran. */
function toCommandResult(file: string, finished: Finished): CommandResult {
  const { stdout, stderr } = finished;
  if (finished.isMaxBuffer) throw new RvError("io", `${file} printed more output than rv keeps in memory`);
  if (finished.exitCode !== undefined) return { exitCode: finished.exitCode, stdout, stderr };
  if (finished.signal) return { exitCode: 128 + signalNumber(finished.signal), stdout, stderr };
  if (finished.code === "ENOENT") return { exitCode: 127, stdout, stderr: `${stderr}rv: ${file}: not found\n` };
  if (finished.code === "EACCES") return { exitCode: 126, stdout, stderr: `${stderr}rv: ${file}: Permission denied\n` };
  throw new RvError("internal", `could not run ${file}: ${String(finished.shortMessage ?? finished.code)}`);
}

function signalNumber(signal: string): number {
  return (osConstants.signals as Record<string, number | undefined>)[signal] ?? 0;
}
