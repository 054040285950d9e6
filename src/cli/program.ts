import { Command, Help, type Option } from "commander";
import { addClusterVerbs } from "./verbs/cluster.ts";
import { addEnvVerbs } from "./verbs/env.ts";
import type { AddVerbs, Dispatch } from "./verbs/flags.ts";
import { addInternalVerbs } from "./verbs/internal.ts";
import { addLeaseVerbs } from "./verbs/lease.ts";
import { addNotifyVerbs } from "./verbs/notify.ts";
import { addShellVerbs } from "./verbs/shell.ts";
import { addSyncVerbs } from "./verbs/sync.ts";
import { TASK_VERBS } from "./verbs/tasks.ts";

export type { Dispatch } from "./verbs/flags.ts";

/**
 * The groups of verbs in help's order, each with the commands a program of that group alone runs: `rv submit` builds
 * its own command only (commander's ~100 commands cost more than an empty binary's whole start-up). A command missing
 * here still runs, in the whole program; `rv completions` is left out on purpose, it describes every command.
 */
const VERB_GROUPS: [commands: string[], add: AddVerbs][] = [
  ...TASK_VERBS,
  [["up", "lease"], addLeaseVerbs],
  [["notify"], addNotifyVerbs],
  [["sync"], addSyncVerbs],
  [["env"], addEnvVerbs],
  [["init", "cluster", "doctor", "resources", "cost", "attach", "ssh", "forward"], addClusterVerbs],
  [["__complete"], addShellVerbs],
  [["rpc", "runner"], addInternalVerbs],
];

/**
 * `rv --help` lists the commands under these headings (in the order VERB_GROUPS adds them, which these follow);
 * the others, `help` among them, under "Other commands:".
 */
const HELP_GROUPS: [heading: string, commands: string[]][] = [
  ["Run tasks:", ["submit", "run", "sweep", "config"]],
  ["Follow them:", ["tasks", "ps", "tags", "status", "tui", "ui", "logs", "show", "stats", "wait"]],
  ["Act on them:", ["cancel", "requeue", "pull", "rerun", "clean", "note"]],
  ["Hold GPUs:", ["up", "lease"]],
  ["From the laptop:", ["notify", "sync", "env"]],
  ["Clusters:", ["init", "cluster", "doctor", "resources", "cost", "attach", "ssh", "forward"]],
];

/** A version request runs no command at all. */
const VERSION_FLAGS = ["-V", "--version"];

/**
 * Every command and flag, one group of verbs to a file; with `word` (the command line's first word), only what that
 * command needs. Actions import their command module only when they run, so `rv --help` and `rv submit` never load
 * code they do not use (changesets' lazy commands).
 */
export function buildProgram(dispatch: Dispatch, version: string, word?: string): Command {
  const program = new Command("rv")
    .description("Hold GPUs once, run experiment after experiment in them, and never lose a task.")
    .version(version, "-V, --version")
    .enablePositionalOptions()
    .showHelpAfterError("(add --help for usage)")
    .configureHelp({ optionDescription })
    .exitOverride();
  const own = VERB_GROUPS.filter(([commands]) => word !== undefined && commands.includes(word));
  const groups = own.length > 0 || VERSION_FLAGS.includes(word ?? "") ? own : VERB_GROUPS;
  for (const [, add] of groups) add(program, dispatch);
  addClusterFlag(program, []);
  // Only the whole program lists its commands: one built for a single command does not pay for the headings.
  if (groups === VERB_GROUPS) groupHelp(program);
  return program;
}

function groupHelp(program: Command): void {
  const other = "Other commands:";
  program.commandsGroup(other).helpCommand(true); // the help command made now, so that it takes the group
  for (const command of program.commands) {
    command.helpGroup(HELP_GROUPS.find(([, commands]) => commands.includes(command.name()))?.[0] ?? other);
  }
}

/** A repeatable flag starts from no values (`collect`): help says nothing of it, where commander says "(default: [])". */
function optionDescription(this: Help, option: Option): string {
  const none = Array.isArray(option.defaultValue) && option.defaultValue.length === 0;
  return Help.prototype.optionDescription.call(
    this,
    none ? Object.assign(Object.create(option), { defaultValue: undefined }) : option,
  );
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
      sub.option("--cluster <cluster>", "use this cluster instead of the one in use (rv cluster ls)");
    }
  }
}
