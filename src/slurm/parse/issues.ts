import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * How the parsers report what they could not read. They never throw on Slurm's output:
 * - a line (or JSON element) that cannot be a record is dropped and reported with `skipped: true`;
 * - a record with one field rv could not read is kept, that field takes its catch-all value
 *   (`{ kind: "other", raw }`, an empty list, or null) and the field is reported with `skipped: false`.
 * Callers decide what to do with issues (log them, show them under `--verbose`); parsing goes on.
 */
export const ParseIssueSchema = deferred(() =>
  z.object({
    /** "line 3" for text output, "jobs[2]" for JSON. */
    where: z.string(),
    /** The offending text, verbatim, cut at 200 characters. */
    text: z.string(),
    reason: z.string(),
    /** True when the whole record was dropped; false when it was kept with a degraded field. */
    skipped: z.boolean(),
  }),
);
export type ParseIssue = z.infer<typeof ParseIssueSchema>;

/** What a table parser returns: every record it could read, and every issue. */
export interface Records<T> {
  records: T[];
  issues: ParseIssue[];
}

/** What a single-value parser returns (an sbatch answer, a hostlist). */
export type Result<T> = { ok: true; value: T } | { ok: false; reason: string };

export function issue(where: string, text: string, reason: string, skipped: boolean): ParseIssue {
  return { where, text: text.length > 200 ? `${text.slice(0, 200)}…` : text, reason, skipped };
}

/** Records field-level problems of one record while it is being built. */
export type Warn = (reason: string) => void;

export function warnInto(issues: ParseIssue[], where: string, text: string): Warn {
  return (reason) => issues.push(issue(where, text, reason, false));
}
