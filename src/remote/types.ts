/**
 * "Run these commands there": on this machine, or on a login node over ssh. Every command is an argv array;
 * nothing here ever builds a shell string from user text except through `shQuote` (quote.ts).
 */
export interface RemoteCommand {
  argv: readonly string[];
  /** Set for this command only, on top of the remote login environment. Never put secrets here: use stdin. */
  env?: Readonly<Record<string, string>>;
  /** Fed to the command's standard input; without it the command reads /dev/null. */
  stdin?: string;
}

export interface CommandResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Remote {
  /** For messages: "this machine" or "rv-devcluster (ssh)". */
  readonly where: string;
  /**
   * Runs the commands in order in one round trip and returns one result per command, in order. A command
   * that fails does not stop the others. Rejects with an RvError only when the round trip itself failed:
   * `unreachable` (no connection, refused key, dropped connection) or `cluster` (logins disabled, the far
   * side's shell could not run the batch). A command missing on the far side is a result with exit 127.
   * A rejection returns no partial results, yet some commands may have run: retry only what is idempotent.
   * Rejects with `usage` for what cannot be delivered (a NUL byte, an invalid environment variable name).
   */
  run(commands: readonly RemoteCommand[]): Promise<CommandResult[]>;
}

/** Where a streamed command's output goes as it comes (the terminal, for `rv run`). */
export interface OutputSink {
  out: (chunk: string) => void;
  err: (chunk: string) => void;
}

/**
 * A Remote that can also stream: a local file into one command's stdin (files too big or binary for `stdin`),
 * or one command's output back while it runs.
 */
export interface FileRemote extends Remote {
  /**
   * Runs `argv` with `stdin` written to its standard input, passing its stdout and stderr to `sink` as they come,
   * and resolves with its exit status. Its standard input stays open until it exits or `hangUp` fires (then the
   * far side reads its end: the caller has stopped listening). Over ssh, a connection that fails or drops
   * rejects like `run` does. `giveUp` ends it outright (the process is killed) and rejects with code
   * `unreachable`: the caller will not wait longer for an answer.
   */
  stream(
    argv: readonly string[],
    stdin: string,
    sink: OutputSink,
    hangUp?: AbortSignal,
    giveUp?: AbortSignal,
  ): Promise<number>;
  /**
   * Runs `argv` on the far side with `localFile` as its stdin, in one round trip. Over ssh its stdout may start
   * with whatever the login shell's rc files print; rely on the exit status and stderr.
   */
  runWithStdinFile(argv: readonly string[], localFile: string): Promise<CommandResult>;
}
