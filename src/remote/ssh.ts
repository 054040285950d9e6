import { RvError } from "../errors.ts";
import { parseBatchOutput, renderBatchScript } from "./batch.ts";
import { classifySshFailure, type SshTarget } from "./classify.ts";
import { controlPath, prepareControlDir } from "./control-path.ts";
import { shJoin, shQuote } from "./quote.ts";
import { gaveUp, pipeTo } from "./stream.ts";
import type { CommandResult, FileRemote, OutputSink, RemoteCommand } from "./types.ts";
import { validateCommands } from "./validate.ts";

export interface SshOptions {
  /** An alias from the ssh config, or a host name. */
  host: string;
  /** Passed as `ssh -F`; without it ssh reads ~/.ssh/config. */
  configFile?: string;
  /** Where the ControlMaster sockets live (created 0700); see control-path.ts for when it is not used. */
  controlDir: string;
  connectTimeoutS?: number;
}

/**
 * Runs commands on a host over OpenSSH: one `ssh` process per call, multiplexed over a persistent
 * ControlMaster connection, so a batch after the first costs one round trip and no new login.
 */
export function sshRemote(options: SshOptions): FileRemote {
  checkHost(options.host);
  let baseArgs: Promise<string[]> | undefined;
  const sshArgs = async (remoteCommand: string) => {
    baseArgs ??= connectionArgs(options);
    return [...(await baseArgs), options.host, remoteCommand];
  };
  return {
    where: `${options.host} (ssh)`,
    async run(commands) {
      validateCommands(commands);
      if (commands.length === 0) return [];
      return runBatch(targetOf(options), await sshArgs("sh -s"), commands);
    },
    async runWithStdinFile(argv, localFile) {
      validateCommands([{ argv }]);
      return runWithFileInput(targetOf(options), await sshArgs(shJoin(argv)), localFile);
    },
    async stream(argv, stdin, sink, hangUp, giveUp) {
      validateCommands([{ argv, stdin }]);
      return streamOutput(targetOf(options), await sshArgs(shJoin(argv)), stdin, sink, { hangUp, giveUp });
    },
  };
}

/** ssh's own failures exit 255; their message is on stderr, which is passed on and kept for the error. */
async function streamOutput(
  target: SshTarget,
  args: string[],
  stdin: string,
  sink: OutputSink,
  signals: { hangUp: AbortSignal | undefined; giveUp: AbortSignal | undefined },
): Promise<number> {
  let stderr = "";
  const keepTail = (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000);
    sink.err(chunk);
  };
  const keep = { out: sink.out, err: keepTail };
  // Loaded when ssh starts, not with this file: execa (and node:crypto) cost ~6 ms of every command's start-up.
  const { execa } = await import("execa");
  // Its own process group: Ctrl-C at the terminal reaches rv, which hangs up by closing stdin (the far side then
  // ends what it follows and answers), instead of killing ssh mid-answer.
  const ssh = execa("ssh", args, { reject: false, buffer: false, detached: true, cancelSignal: signals.giveUp });
  const finished = await pipeTo(ssh, stdin, keep, signals.hangUp);
  if (finished.isCanceled) throw gaveUp(target.host);
  if (finished.exitCode === undefined || finished.exitCode === 255)
    throw classifySshFailure(finished.exitCode, stderr, target);
  return finished.exitCode;
}

/** The ssh options every connection to the host takes (and `-O` requests to its ControlMaster must match). */
export async function connectionArgs(options: SshOptions): Promise<string[]> {
  const directory = await prepareControlDir(options.controlDir);
  const settings = [
    "BatchMode=yes",
    `ConnectTimeout=${options.connectTimeoutS ?? 10}`,
    "ControlMaster=auto",
    `ControlPath=${controlPath(directory)}`,
    "ControlPersist=10m",
    "ServerAliveInterval=15",
    "ServerAliveCountMax=3",
  ];
  const config = options.configFile ? ["-F", options.configFile] : [];
  return [...config, ...settings.flatMap((setting) => ["-o", setting])];
}

/** How error hints tell a person to reach the host as rv does: through the same ssh config file. */
function targetOf(options: SshOptions): SshTarget {
  const config = options.configFile ? `-F ${shQuote(options.configFile)} ` : "";
  return { host: options.host, ssh: `ssh ${config}${options.host}` };
}

async function runBatch(
  target: SshTarget,
  args: string[],
  commands: readonly RemoteCommand[],
): Promise<CommandResult[]> {
  const { host } = target;
  const [{ randomBytes }, { execa }] = await Promise.all([import("node:crypto"), import("execa")]);
  const nonce = randomBytes(12).toString("hex");
  const finished = await execa("ssh", args, {
    input: renderBatchScript(commands, nonce),
    encoding: "buffer",
    stripFinalNewline: false,
    reject: false,
  });
  const stderr = Buffer.from(finished.stderr).toString("utf8");
  if (finished.isMaxBuffer) throw new RvError("io", `the commands on ${host} printed more than rv keeps in memory`);
  const output = parseBatchOutput(finished.stdout, nonce, commands.length);
  // Every result arrived whole: whatever ssh said afterwards (a drop at logout) does not change them.
  if (output.complete) return output.results;
  throw classifySshFailure(finished.exitCode, stderr, target, output.started ? output.problem : undefined);
}

async function runWithFileInput(target: SshTarget, args: string[], localFile: string): Promise<CommandResult> {
  const { execa } = await import("execa");
  const finished = await execa("ssh", args, { inputFile: localFile, reject: false, stripFinalNewline: false });
  const { exitCode, stdout, stderr } = finished;
  // 255 is ssh's own failure (a remote command exiting 255 is taken for one: rare, and safe to retry).
  if (exitCode === undefined || exitCode === 255) throw classifySshFailure(exitCode, stderr, target);
  return { exitCode, stdout, stderr };
}

/** A host starting with "-" would be read as an ssh option. */
function checkHost(host: string): void {
  if (!/^[A-Za-z0-9_.@:[\]%-]+$/.test(host) || host.startsWith("-")) {
    throw new RvError("usage", `not a usable ssh host: ${JSON.stringify(host)}`, {
      hint: "use a host name or an alias from your ssh config",
    });
  }
}
