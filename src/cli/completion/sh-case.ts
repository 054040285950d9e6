import { shQuote } from "../../remote/index.ts";
import { groupByValue, type Row, type Tables } from "./tables.ts";

/**
 * The lookup tables as POSIX `case` functions, which bash (3.2 and up: no associative arrays) and zsh both read.
 * Every key and printed word is single-quoted: a description may hold any character.
 */
export interface CaseFunctions {
  /** How one row's printed words become the body of its branch. */
  print: (words: string[]) => string;
  /** How a listed word (a subcommand, a flag) is printed: bash wants the word alone, zsh `word:description`. */
  listed: (word: string, description: string) => string;
}

export function caseTables(prefix: string, tables: Tables, shell: CaseFunctions): string {
  const listed = (rows: Tables["subcommands"]) =>
    rows.map((row) => ({ keys: [row.key], words: row.value.map((d) => shell.listed(d.word, d.description)) }));
  const valued = (rows: Row<string>[]) => groupByValue(rows).map((g) => ({ keys: g.keys, words: [g.value] }));
  const args = tables.argValues.map((row) => ({ keys: [row.key], words: [row.value] }));
  return [
    caseFunction(`${prefix}_subs`, '"$1"', listed(tables.subcommands), shell),
    caseFunction(`${prefix}_opts`, '"$1"', listed(tables.options), shell),
    caseFunction(`${prefix}_optarg`, '"$1:$2"', valued(tables.optionValues), shell),
    caseFunction(`${prefix}_arg`, '"$1:$2"', args, shell),
  ].join("\n");
}

function caseFunction(
  name: string,
  subject: string,
  branches: { keys: string[]; words: string[] }[],
  shell: CaseFunctions,
): string {
  const lines = branches
    .filter((branch) => branch.words.length > 0)
    .map((branch) => `    ${branch.keys.map(casePattern).join("|")}) ${shell.print(branch.words)} ;;`);
  return [`${name}() {`, `  case ${subject} in`, ...lines, "  esac", "}", ""].join("\n");
}

/** A key as a literal pattern; a trailing `*` (a variadic argument's row) stays a wildcard, outside the quotes. */
function casePattern(key: string): string {
  return key.endsWith("*") ? `${shQuote(key.slice(0, -1))}*` : shQuote(key);
}
