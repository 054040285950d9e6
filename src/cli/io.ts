import { writeSync } from "node:fs";
import { createRequire } from "node:module";

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
  /** The terminal's width, when `out` is a terminal that tells it: tables are fitted to it. */
  columns?: number;
}

type TtyBinding = {
  isTTY: (fd: number) => boolean;
  TTY: new (fd: number, context: object) => { getWindowSize: (size: number[]) => boolean };
};

/**
 * Is this descriptor a terminal? Under Bun, `process.stdout`, `node:tty` and whatever touches them load the whole
 * Node stream stack, the largest part of a short command's start (an empty compiled binary 12 ms, one that reads
 * `process.stdout.isTTY` 25 ms, on a slow machine); the runtime's own binding answers in microseconds. Under Node,
 * or a Bun without that binding, `node:tty`.
 */
export function isTerminal(fd: number): boolean {
  const tty = bunTty();
  if (tty) {
    try {
      return tty.isTTY(fd);
    } catch {}
  }
  return createRequire(import.meta.url)("node:tty").isatty(fd);
}

/** Bun's own tty binding, where the runtime has one (isTerminal says why it is used); undefined elsewhere. */
function bunTty(): TtyBinding | undefined {
  const binding = (process as unknown as { binding?: (name: string) => TtyBinding }).binding;
  if (!process.versions.bun || !binding) return undefined;
  try {
    return binding("tty_wrap");
  } catch {
    return undefined;
  }
}

/**
 * How many columns the terminal on stdout has, undefined when it tells none. Under Bun from the runtime's binding, as
 * isTerminal: `process.stdout.columns` builds the stream stack (19 ms of a 38 ms start, measured at a terminal).
 */
export function terminalColumns(): number | undefined {
  const tty = bunTty();
  let columns: number | undefined;
  try {
    if (tty) {
      const size = new Array<number>(2);
      if (new tty.TTY(1, {}).getWindowSize(size)) columns = size[0];
    } else {
      columns = process.stdout.columns;
    }
  } catch {}
  return columns !== undefined && columns > 0 ? columns : undefined;
}

/**
 * One of rv's standard outputs. A write goes straight to the descriptor (for the same reason as isTerminal: no
 * stream is built unless one is needed), blocking while a slow reader catches up. A descriptor left non-blocking by
 * whoever opened it refuses a write it cannot take at once (EAGAIN): from then on the stream, which waits for it,
 * writes the rest, in order. A reader that has gone (EPIPE: `rv tasks --json | head`) ends the output, not the
 * command: what is written after has nowhere to go, and rv exits as the command does.
 */
export class Output {
  private gone = false;
  private stream: NodeJS.WriteStream | undefined;
  private full = false;

  constructor(
    private readonly fd: number,
    private readonly openStream: () => NodeJS.WriteStream,
  ) {}

  write(text: string): void {
    if (this.gone) return;
    if (this.stream) {
      this.full = !this.stream.write(text) || this.full;
      return;
    }
    const bytes = Buffer.from(text);
    let written = 0;
    try {
      while (written < bytes.length) written += writeSync(this.fd, bytes, written);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "EPIPE") this.gone = true;
      else if (code === "EAGAIN") this.streamRest(bytes.subarray(written));
      else throw error;
    }
  }

  /** See Io.drained: a direct write has gone when it returns; only the stream can hold some back. */
  drained(): Promise<void> {
    const stream = this.stream;
    if (!stream || !this.full || this.gone || stream.destroyed) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        for (const event of ["drain", "error", "close"]) stream.off(event, done);
        resolve();
      };
      for (const event of ["drain", "error", "close"]) stream.once(event, done);
    });
  }

  private streamRest(rest: Buffer): void {
    const stream = this.openStream();
    stream.on("error", (error: NodeJS.ErrnoException) => {
      if (error.code !== "EPIPE") throw error;
      this.gone = true;
    });
    stream.on("close", () => {
      this.gone = true;
    });
    // write()'s answer says when it is full, the drain event when it no longer is (Bun keeps no writableNeedDrain).
    stream.on("drain", () => {
      this.full = false;
    });
    this.stream = stream;
    this.full = !stream.write(rest);
  }
}

const stdout = new Output(1, () => process.stdout);
const stderr = new Output(2, () => process.stderr);

export function processIo(env: NodeJS.ProcessEnv = process.env): Io {
  const isTTY = isTerminal(1);
  return {
    out: (text) => stdout.write(text),
    drained: () => stdout.drained(),
    err: (text) => stderr.write(text),
    isTTY,
    color: isTTY && !env.NO_COLOR && env.TERM !== "dumb",
    columns: isTTY ? terminalColumns() : undefined,
  };
}

/** An Io that records what a command printed, for tests. */
export function bufferIo(
  options: { isTTY?: boolean; color?: boolean; columns?: number } = {},
): Io & { stdout: () => string; stderr: () => string } {
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
    color: options.color ?? false,
    columns: options.columns,
    stdout: () => out,
    stderr: () => err,
  };
}
