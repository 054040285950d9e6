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
  addClusterFlag(program, []);
  return program;
}

/** Commands that run where they are (a runner, a segment's own steps) or manage the clusters themselves. */
const WITHOUT_CLUSTER_FLAG = new Set([
  "rpc",
  "runner",
  "__complete",
  "completions",
  "init",
  "cluster",
  "lease renew",
  "lease claim",
  "lease end-segment",
  "lease supervise",
]);

/**
 * `--cluster NAME` on every command that reaches a cluster: the cluster it uses instead of the one in use (main.ts
 * reads it before the command runs). A command with its own `--cluster` (rv env, rv notify) keeps it.
 */
function addClusterFlag(command: Command, path: string[]): void {
  for (const sub of command.commands) {
    const at = [...path, sub.name()];
    if (WITHOUT_CLUSTER_FLAG.has(at.join(" ")) || WITHOUT_CLUSTER_FLAG.has(at[0] ?? "")) continue;
    if (sub.commands.length > 0) addClusterFlag(sub, at);
    else if (!sub.options.some((option) => option.long === "--cluster")) {
      sub.option("--cluster <name>", "use this cluster instead of the one in use (rv cluster ls)");
    }
  }
}
