/** The single door to the terminal: commands write data to `out` and progress or notes to `err`. */
export interface Io {
  out: (text: string) => void;
  /**
   * Resolves once what `out` wrote has gone to the reader, or at once when it has: a long listing waits here for a
   * slow pipe instead of piling up in memory. It resolves too when the reader has gone (the write failed).
   */
  drained: () => Promise<void>;
  err: (text: string) => void;
  isTTY: boolean;
  color: boolean;
}

/** stdout's reader has gone (`rv tasks --json | head`): what is written after has nowhere to go. */
let readerGone = false;

/**
 * A reader that stops early ends the output, not the command. Under Node a write to a closed pipe is an 'error'
 * event on stdout, which unhandled ended rv with a trace (exit 1); Bun's binary goes on with its writes failing and
 * exits as the command does (0): rv under Node now does the same, writing nothing more.
 */
export function endOutputWhenReaderGoes(): void {
  process.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code !== "EPIPE") throw error;
    readerGone = true;
  });
}

export function processIo(env: NodeJS.ProcessEnv = process.env): Io {
  const isTTY = Boolean(process.stdout.isTTY);
  // write()'s answer, not writableNeedDrain: Bun does not keep the latter.
  let full = false;
  return {
    out: (text) => {
      if (!readerGone) full = !process.stdout.write(text) || full;
    },
    drained: () => {
      if (!full || readerGone) return Promise.resolve();
      full = false;
      return new Promise((resolve) => {
        const done = () => {
          for (const event of ["drain", "error", "close"]) process.stdout.off(event, done);
          resolve();
        };
        for (const event of ["drain", "error", "close"]) process.stdout.once(event, done);
      });
    },
    err: (text) => process.stderr.write(text),
    isTTY,
    color: isTTY && !env.NO_COLOR && env.TERM !== "dumb",
  };
}

/** An Io that records what a command printed, for tests. */
export function bufferIo(options: { isTTY?: boolean } = {}): Io & { stdout: () => string; stderr: () => string } {
  let out = "";
  let err = "";
  return {
    out: (text) => {
      out += text;
    },
    drained: async () => {},
    err: (text) => {
      err += text;
    },
    isTTY: options.isTTY ?? false,
    color: false,
    stdout: () => out,
    stderr: () => err,
  };
}
