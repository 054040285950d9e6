import type { Argument, Command, Option } from "commander";

/**
 * What a shell can complete at one place of the command line. Names are read at completion time from
 * `rv __complete` (this machine's leases and tasks, and the cluster's as `rv tasks` and `rv lease ls` last saw
 * them); everything else is fixed when the script is generated.
 */
export type Values =
  | { kind: "names"; of: NameKind[] }
  | { kind: "choices"; choices: string[] }
  | { kind: "files" }
  | { kind: "dirs" }
  | { kind: "free" };

export type NameKind = "leases" | "tasks" | "clusters";

export interface OptionSpec {
  /** `-f` and `--follow`, or just one of them. */
  flags: string[];
  description: string;
  /** What follows the flag; null for a flag that takes no value. */
  value: Values | null;
}

export interface ArgSpec {
  name: string;
  variadic: boolean;
  value: Values;
}

export interface CommandSpec {
  /** The words that reach it from `rv`: [] for rv itself, ["lease", "up"]. */
  path: string[];
  names: string[];
  description: string;
  subcommands: CommandSpec[];
  options: OptionSpec[];
  args: ArgSpec[];
}

/**
 * The command tree as commander holds it, hidden commands left out: the completion scripts are generated from
 * this at `rv completions` time, so a command or flag added to the program is completed without more work.
 */
export function describeProgram(program: Command): CommandSpec {
  return describe(program, []);
}

function describe(command: Command, path: string[]): CommandSpec {
  const help = command.createHelp();
  return {
    path,
    names: [command.name(), ...command.aliases()],
    description: command.description(),
    subcommands: help.visibleCommands(command).map((sub) => describe(sub, [...path, sub.name()])),
    options: help.visibleOptions(command).map(optionSpec),
    args: command.registeredArguments.map(argSpec),
  };
}

function optionSpec(option: Option): OptionSpec {
  const flags = [option.short, option.long].filter((flag): flag is string => flag !== undefined);
  const takesValue = option.required || option.optional;
  return { flags, description: option.description, value: takesValue ? optionValues(option) : null };
}

function optionValues(option: Option): Values {
  if (option.argChoices) return { kind: "choices", choices: [...option.argChoices] };
  // The placeholder as written in the flag: `--lease <lease>`, `--from <file.jsonl>`.
  const placeholder = /[<[]([^>\]]+)[>\]]/.exec(option.flags)?.[1] ?? "";
  return valuesNamed(placeholder);
}

function argSpec(argument: Argument): ArgSpec {
  return { name: argument.name(), variadic: argument.variadic, value: valuesNamed(argument.name()) };
}

/**
 * What a placeholder stands for, by its name: `lease`, `task`, `tasks`, `task|lease`, `cluster` are names rv knows; a
 * `file` is a path here; a task's own `argv` starts with a program or a script, so a path too; a `shell` is one
 * rv writes completions for.
 */
export function valuesNamed(placeholder: string): Values {
  const parts = placeholder.split("|");
  const of = (["tasks", "leases", "clusters"] as const).filter((kind) =>
    parts.some((part) => part === kind || `${part}s` === kind),
  );
  if (of.length > 0) return { kind: "names", of };
  if (parts.some((part) => /file/.test(part)) || placeholder === "argv") return { kind: "files" };
  if (placeholder === "dir") return { kind: "dirs" };
  if (placeholder === "shell") return { kind: "choices", choices: [...SHELLS] };
  return { kind: "free" };
}

/** Every command of the tree, rv itself first, each before its subcommands. */
export function allCommands(spec: CommandSpec): CommandSpec[] {
  return [spec, ...spec.subcommands.flatMap(allCommands)];
}

/**
 * The words a script stores for a place that takes a value: the choices themselves, or markers the script reads
 * as "ask rv" (`@leases`, `@tasks`), "paths" (`@files`, `@dirs`), or "anything" (`@free`).
 */
export function valueWords(values: Values): string {
  switch (values.kind) {
    case "names":
      return values.of.map((kind) => `@${kind}`).join(" ");
    case "choices":
      return values.choices.join(" ");
    default:
      return `@${values.kind}`;
  }
}

/** The shells rv writes completion scripts for. */
export const SHELLS = ["bash", "zsh", "fish"] as const;
export type Shell = (typeof SHELLS)[number];
