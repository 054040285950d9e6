import { RvError } from "../errors.ts";

/**
 * POSIX single-quote quoting: inside '...' every byte is literal, so the only character to handle is the quote
 * itself, closed, escaped and reopened ('\''). Always quotes, even plain words, because an unquoted word can
 * still be special in some positions (a reserved word such as `if`, or `A=B` as an assignment).
 */
export function shQuote(text: string): string {
  if (text.includes("\0")) {
    throw new RvError("usage", `cannot pass a NUL byte in a command argument: ${JSON.stringify(text)}`, {
      hint: "NUL ends a C string, so no program can receive it in its argv or environment",
    });
  }
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A shell command line that the shell splits back into exactly `argv`. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(" ");
}
