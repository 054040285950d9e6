import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { nodesOf, textOf } from "./fields.ts";
import { issue, type Records, type Warn, warnInto } from "./issues.ts";
import { cancelledBy, JobIdSchema, JobStateSchema, parseJobId, parseJobState } from "./job-state.ts";
import { readTable, type TableRow } from "./table.ts";
import { DurationSchema, InstantSchema, parseDuration, parseInstant, type TimeOptions } from "./time.ts";
import { parseTres, TresSchema } from "./tres.ts";

/**
 * The fields rv asks sacct for, one line per job (`-X`: no steps), `|`-separated (`-P`). sacct lags slurmctld
 * by 1-3 s: a job already running may still read PENDING with an empty partition. A job cancelled while
 * pending has an empty AllocTRES, NodeList `None assigned`, End the cancel time, and Start either `None` (the dev
 * cluster's 22.05.8 captures) or the cancel time too (the notes' race).
 */
export const SACCT_FIELDS = "JobID,JobName,Partition,Account,AllocTRES,State,ExitCode,Start,End,Elapsed,NodeList";
export const SACCT_ARGS = ["-X", "-P", "-o", SACCT_FIELDS] as const;

const COLUMNS = SACCT_FIELDS.toUpperCase().split(",");

export const ExitCodeSchema = deferred(() => z.object({ code: z.int(), signal: z.int() }));

export const SacctJobSchema = deferred(() =>
  z.object({
    ...JobIdSchema.shape,
    name: z.nullable(z.string()),
    partition: z.nullable(z.string()),
    account: z.nullable(z.string()),
    /** Null when empty (a job cancelled before it started). */
    allocTres: z.nullable(TresSchema),
    state: JobStateSchema,
    /** The uid from `CANCELLED by 1001`. */
    cancelledBy: z.nullable(z.string()),
    /** `1:0` is exit code 1; `0:15` is killed by signal 15. */
    exitCode: z.nullable(ExitCodeSchema),
    start: z.nullable(InstantSchema),
    end: z.nullable(InstantSchema),
    elapsed: z.nullable(DurationSchema),
    /** Expanded NodeList; `None assigned` is []. */
    nodes: z.array(z.string()),
  }),
);
export type SacctJob = z.infer<typeof SacctJobSchema>;

/** Reads `sacct -X -P -o SACCT_FIELDS` (with its header, or with -n without), or any -P/-p output of known fields. */
export function parseSacct(stdout: string, opts: TimeOptions = {}): Records<SacctJob> {
  const { rows, issues } = readTable(stdout, { columns: COLUMNS, free: "JOBNAME" });
  const records: SacctJob[] = [];
  for (const row of rows) {
    const job = toJob(row, opts, warnInto(issues, row.where, row.text));
    if (job) records.push(job);
    else issues.push(issue(row.where, row.text, "no job id", true));
  }
  return { records, issues };
}

function toJob(row: TableRow, opts: TimeOptions, warn: Warn): SacctJob | null {
  const c = row.cells;
  const id = parseJobId(c.JOBID ?? "");
  if (!id) return null;
  const tres = textOf(c.ALLOCTRES);
  return {
    ...id,
    name: textOf(c.JOBNAME),
    partition: textOf(c.PARTITION),
    account: textOf(c.ACCOUNT),
    allocTres: tres === null ? null : parseTres(tres),
    state: parseJobState(c.STATE ?? ""),
    cancelledBy: cancelledBy(c.STATE ?? ""),
    exitCode: exitCodeOf(c.EXITCODE, warn),
    start: c.START === undefined ? null : parseInstant(c.START, opts),
    end: c.END === undefined ? null : parseInstant(c.END, opts),
    elapsed: c.ELAPSED === undefined ? null : parseDuration(c.ELAPSED),
    nodes: nodesOf(c.NODELIST, warn),
  };
}

function exitCodeOf(text: string | undefined, warn: Warn): z.infer<typeof ExitCodeSchema> | null {
  if (text === undefined || text.trim() === "") return null;
  const m = /^(\d+):(\d+)$/.exec(text.trim());
  if (m) return { code: Number(m[1]), signal: Number(m[2]) };
  warn(`ExitCode is not code:signal: "${text}"`);
  return null;
}
