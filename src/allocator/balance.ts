import { RvError } from "../errors.ts";
import { readTable } from "../slurm/parse/table.ts";
import type { SiteProfile } from "./profile/schema.ts";

export type BalanceColumns = Pick<NonNullable<SiteProfile["balance"]>, "accountColumn" | "availableColumn">;

export interface Balance {
  account: string;
  availableSu: number;
}

/**
 * The SUs available to `account` in the table a site's balance command prints (`allocations`: a header line
 * naming the columns, maybe under a preamble, then one row per account, maybe under a `----` rule; numbers
 * may carry thousands commas). Without `account`, the only row is the one meant.
 */
export function parseBalance(stdout: string, columns: BalanceColumns, account: string | undefined): Balance {
  const balances = readBalances(stdout, columns);
  if (account === undefined) return onlyBalance(balances);
  const found = balances.find((b) => b.account.toLowerCase() === account.toLowerCase());
  if (found) return found;
  throw new RvError("not_found", `the balance command lists no account ${account}`, {
    hint: `its accounts: ${balances.map((b) => b.account).join(", ") || "none"}`,
  });
}

function readBalances(stdout: string, { accountColumn, availableColumn }: BalanceColumns): Balance[] {
  const lines = stdout.split("\n");
  const wanted = [accountColumn, availableColumn].map((name) => name.toUpperCase());
  const header = lines.findIndex((line) => wanted.every((name) => headerCells(line).includes(name)));
  if (header < 0) {
    throw new RvError("cluster", `the balance command printed no header with ${accountColumn} and ${availableColumn}`, {
      hint: "check the [balance] columns of the site profile against the command's output (docs/allocator.md)",
    });
  }
  const table = lines.slice(header).join("\n");
  const { rows } = readTable(table, { columns: headerCells(lines[header] ?? "") });
  const [accountKey = "", availableKey = ""] = wanted;
  return rows
    .map((row) => ({ account: row.cells[accountKey] ?? "", availableSu: suNumber(row.cells[availableKey] ?? "") }))
    .filter((b): b is Balance => b.account !== "" && b.availableSu !== null);
}

function headerCells(line: string): string[] {
  return line
    .split(line.includes("|") ? "|" : /\s+/)
    .map((cell) => cell.trim().toUpperCase())
    .filter(Boolean);
}

/** `12,345.67` as 12345.67; a rule (`-----`) or any other text as null. */
function suNumber(cell: string): number | null {
  const text = cell.replaceAll(",", "").trim();
  return /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : null;
}

function onlyBalance(balances: Balance[]): Balance {
  const [only, ...others] = balances;
  if (only && others.length === 0) return only;
  throw new RvError(only ? "ambiguous" : "not_found", `the balance command lists ${balances.length} accounts`, {
    hint: only
      ? `name one with --account (${balances.map((b) => b.account).join(", ")}), or set account in [cluster]`
      : "the account may have no allocation: ask the site's support",
  });
}
