import { allCommands, type CommandSpec, valueWords } from "./spec.ts";

/**
 * The command tree as the lookup tables every shell script needs, keyed by the command's path (`lease up`): its
 * subcommands, its flags, what each flag takes, and what each positional argument takes. A shell renders each
 * table as a `case` or a `switch`; the walk along the command line that reads them is written by hand per shell.
 */
export interface Tables {
  /** Path -> its subcommands, with a one-line description each. */
  subcommands: Row<Described[]>[];
  /** Path -> its flags, with a one-line description each. */
  options: Row<Described[]>[];
  /** `path:flag` -> the words of what the flag takes (valueWords); flags that take nothing are left out. */
  optionValues: Row<string>[];
  /**
   * `path:n` -> what its n-th positional argument takes; a variadic one's key is `path:*`, every later position.
   * A path's rows stay in order, so its earlier arguments match first.
   */
  argValues: Row<string>[];
}

export interface Row<T> {
  key: string;
  value: T;
}

export interface Described {
  word: string;
  description: string;
}

export function tablesOf(root: CommandSpec): Tables {
  const commands = allCommands(root);
  const at = (spec: CommandSpec) => spec.path.join(" ");
  return {
    subcommands: commands
      .filter((spec) => spec.subcommands.length > 0)
      .map((spec) => ({
        key: at(spec),
        value: spec.subcommands.flatMap((sub) => sub.names.map((word) => ({ word, description: sub.description }))),
      })),
    options: commands.map((spec) => ({
      key: at(spec),
      value: spec.options.flatMap((option) => option.flags.map((word) => ({ word, description: option.description }))),
    })),
    optionValues: commands.flatMap((spec) =>
      spec.options.flatMap((option) => {
        const value = option.value;
        return value ? option.flags.map((flag) => ({ key: `${at(spec)}:${flag}`, value: valueWords(value) })) : [];
      }),
    ),
    argValues: commands.flatMap((spec) =>
      spec.args.map((arg, n) => ({ key: `${at(spec)}:${arg.variadic ? "*" : n}`, value: valueWords(arg.value) })),
    ),
  };
}

/** Rows that give the same value, together: one `case` branch each, so the script stays short. */
export function groupByValue(rows: Row<string>[]): { keys: string[]; value: string }[] {
  const groups = new Map<string, string[]>();
  for (const row of rows) groups.set(row.value, [...(groups.get(row.value) ?? []), row.key]);
  return [...groups].map(([value, keys]) => ({ value, keys }));
}

/** A description on one line, as a completion menu shows it. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
