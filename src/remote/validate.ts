import { RvError } from "../errors.ts";
import type { RemoteCommand } from "./types.ts";

const envName = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Rejects what no remote could deliver faithfully, the same way for every Remote, so that a command that works
 * on this machine does not break only once it goes over ssh.
 */
export function validateCommands(commands: readonly RemoteCommand[]): void {
  for (const command of commands) validateCommand(command);
}

function validateCommand({ argv, env = {}, stdin }: RemoteCommand): void {
  if (argv.length === 0) throw new RvError("usage", "a remote command needs at least a program name (argv is empty)");
  for (const arg of argv) rejectNul(arg, "a command argument");
  for (const [name, value] of Object.entries(env)) {
    if (!envName.test(name))
      throw new RvError("usage", `not a valid environment variable name: ${JSON.stringify(name)}`);
    rejectNul(value, `environment variable ${name}`);
  }
  // A shell script (the ssh batch) cannot carry a NUL byte; binary data goes through `upload` instead.
  if (stdin !== undefined) rejectNul(stdin, "standard input");
}

function rejectNul(text: string, what: string): void {
  if (text.includes("\0")) {
    throw new RvError("usage", `cannot pass a NUL byte in ${what}`, {
      hint: "NUL ends a C string; send binary data as a file with upload()",
    });
  }
}
