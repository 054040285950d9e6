import type { Command } from "commander";
import { RvError } from "../../errors.ts";
import { bashScript } from "./bash.ts";
import { fishScript } from "./fish.ts";
import { describeProgram, SHELLS, type Shell } from "./spec.ts";
import { type Tables, tablesOf } from "./tables.ts";
import { zshScript } from "./zsh.ts";

const renderers: Record<Shell, (tables: Tables) => string> = { bash: bashScript, zsh: zshScript, fish: fishScript };

export function parseShell(text: string): Shell {
  const shell = SHELLS.find((known) => known === text);
  if (shell) return shell;
  throw new RvError("usage", `no completions for the shell ${JSON.stringify(text)}`, {
    hint: `rv completions takes one of: ${SHELLS.join(", ")}`,
  });
}

/** The completion script of `shell` for the program as it is: every command, flag and value it takes. */
export function completionScript(shell: Shell, program: Command): string {
  return renderers[shell](tablesOf(describeProgram(program)));
}
