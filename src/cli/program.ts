import { Command } from "commander";
import { addClusterVerbs } from "./verbs/cluster.ts";
import { addEnvVerbs } from "./verbs/env.ts";
import type { Dispatch } from "./verbs/flags.ts";
import { addInternalVerbs } from "./verbs/internal.ts";
import { addLeaseVerbs } from "./verbs/lease.ts";
import { addNotifyVerbs } from "./verbs/notify.ts";
import { addShellVerbs } from "./verbs/shell.ts";
import { addSyncVerbs } from "./verbs/sync.ts";
import { addTaskVerbs } from "./verbs/tasks.ts";

export type { Dispatch } from "./verbs/flags.ts";

/**
 * Every command and flag, one group of verbs to a file. Actions import their command module only when they run,
 * so `rv --help` and `rv submit` never load code they do not use (changesets' lazy commands).
 */
export function buildProgram(dispatch: Dispatch, version: string): Command {
  const program = new Command("rv")
    .description("Hold GPUs once, run experiment after experiment in them, and never lose a task.")
    .version(version, "-V, --version")
    .enablePositionalOptions()
    .showHelpAfterError("(add --help for usage)")
    .exitOverride();
  addTaskVerbs(program, dispatch);
  addLeaseVerbs(program, dispatch);
  addNotifyVerbs(program, dispatch);
  addSyncVerbs(program, dispatch);
  addEnvVerbs(program, dispatch);
  addClusterVerbs(program, dispatch);
  addShellVerbs(program, dispatch);
  addInternalVerbs(program, dispatch);
  return program;
}
