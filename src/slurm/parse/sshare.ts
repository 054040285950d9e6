import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { textOf } from "./fields.ts";
import { type Records, type Warn, warnInto } from "./issues.ts";
import { readTable, type TableRow } from "./table.ts";

/**
 * `sshare -l -P` (22.05 has no `sshare --json`): the association tree, one row per account and per
 * user of an account. Leading spaces of Account give the depth in the tree (`root` 0, ` lab` 1, `  lab|root`
 * 2). FairShare is empty on account rows and `0.000000` for an association younger than the first
 * PriorityCalcPeriod; LevelFS may be `inf`. Without accounting, sshare prints the header alone.
 */
export const SSHARE_ARGS = ["-l", "-P"] as const;

const COLUMNS = [
  "ACCOUNT",
  "USER",
  "RAWSHARES",
  "NORMSHARES",
  "RAWUSAGE",
  "NORMUSAGE",
  "EFFECTVUSAGE",
  "FAIRSHARE",
  "LEVELFS",
  "GRPTRESMINS",
  "TRESRUNMINS",
];

/** A number as sshare prints it: `inf` is kept as such; empty is null. */
const ShareNumberSchema = deferred(() => z.nullable(z.union([z.number(), z.literal("inf")])));
type ShareNumber = z.infer<typeof ShareNumberSchema>;

export const SshareRowSchema = deferred(() =>
  z.object({
    account: z.string(),
    depth: z.int(),
    user: z.nullable(z.string()),
    /** `parent` when the association takes its parent's shares. */
    rawShares: z.nullable(z.union([z.number(), z.literal("parent")])),
    normShares: ShareNumberSchema,
    rawUsage: ShareNumberSchema,
    normUsage: ShareNumberSchema,
    effectiveUsage: ShareNumberSchema,
    fairShare: ShareNumberSchema,
    levelFs: ShareNumberSchema,
    /** TRES strings in TRES-minutes, verbatim. */
    grpTresMins: z.nullable(z.string()),
    tresRunMins: z.nullable(z.string()),
  }),
);
export type SshareRow = z.infer<typeof SshareRowSchema>;

export function parseSshare(stdout: string): Records<SshareRow> {
  const { rows, issues } = readTable(stdout, { columns: COLUMNS });
  return { records: rows.map((row) => toRow(row, warnInto(issues, row.where, row.text))), issues };
}

function toRow(row: TableRow, warn: Warn): SshareRow {
  const c = row.cells;
  const account = c.ACCOUNT ?? "";
  const number = (column: string) => shareNumber(c[column], warn, column);
  const rawShares = c.RAWSHARES?.trim() === "parent" ? "parent" : number("RAWSHARES");
  return {
    account: account.trim(),
    depth: account.length - account.trimStart().length,
    user: textOf(c.USER),
    rawShares: rawShares === "inf" ? null : rawShares,
    normShares: number("NORMSHARES"),
    rawUsage: number("RAWUSAGE"),
    normUsage: number("NORMUSAGE"),
    effectiveUsage: number("EFFECTVUSAGE"),
    fairShare: number("FAIRSHARE"),
    levelFs: number("LEVELFS"),
    grpTresMins: textOf(c.GRPTRESMINS),
    tresRunMins: textOf(c.TRESRUNMINS),
  };
}

function shareNumber(text: string | undefined, warn: Warn, column: string): ShareNumber {
  const t = text?.trim() ?? "";
  if (t === "") return null;
  if (t.toLowerCase() === "inf") return "inf";
  if (/^-?\d+(?:\.\d+)?(?:e[-+]?\d+)?$/i.test(t)) return Number(t);
  warn(`${column} is not a number: "${text}"`);
  return null;
}

/** The user's row under `account`, or the first row of that user when no account is given. */
export function shareOf(rows: readonly SshareRow[], user: string, account?: string): SshareRow | null {
  return rows.find((r) => r.user === user && (account === undefined || r.account === account)) ?? null;
}
