/** The single door to the terminal: commands write data to `out` and progress or notes to `err`. */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
  isTTY: boolean;
  color: boolean;
}

export function processIo(env: NodeJS.ProcessEnv = process.env): Io {
  const isTTY = Boolean(process.stdout.isTTY);
  return {
    out: (text) => process.stdout.write(text),
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
    err: (text) => {
      err += text;
    },
    isTTY: options.isTTY ?? false,
    color: false,
    stdout: () => out,
    stderr: () => err,
  };
}
