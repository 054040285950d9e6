import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { intOf, nodesOf, textOf } from "./fields.ts";
import { GresEntrySchema, parseGres } from "./gres.ts";
import { issue, type Records, type Warn, warnInto } from "./issues.ts";
import { JobIdSchema, JobStateSchema, parseJobId, parseJobState } from "./job-state.ts";
import { readTable, type TableRow } from "./table.ts";
import { DurationSchema, InstantSchema, parseDuration, parseInstant, type TimeOptions } from "./time.ts";

/** The format rv runs squeue with: `squeue --noheader -o SQUEUE_FORMAT`. */
export const SQUEUE_FORMAT = "%i|%P|%j|%u|%T|%M|%l|%L|%S|%e|%D|%R|%b";
export const SQUEUE_ARGS = ["--noheader", "-o", SQUEUE_FORMAT] as const;

/** The headers squeue prints for SQUEUE_FORMAT, in order. */
const COLUMNS = [
  "JOBID",
  "PARTITION",
  "NAME",
  "USER",
  "STATE",
  "TIME",
  "TIME_LIMIT",
  "TIME_LEFT",
  "START_TIME",
  "END_TIME",
  "NODES",
  "NODELIST(REASON)",
  "TRES_PER_NODE",
];
/** Other headers read when present (`%t`, `%r`, `%N`, `%Y`), and the truncated `TIME_L` of narrow views. */
const ALIASES = { ST: "ST", REASON: "REASON", NODELIST: "NODELIST", SCHEDNODES: "SCHEDNODES", TIME_L: "TIME_LIMIT" };

/**
 * One job as squeue shows it. Fields whose column the output lacks are null. `nodes` is the expanded node
 * list of a started job; a pending job has `nodes: []` and its reason in `reason` (from `(Resources)` in
 * `%R`, or from `%r`); `None` reads as null. `gresDetail` (with device indexes) only comes from `--json`.
 */
export const SqueueJobSchema = deferred(() =>
  z.object({
    ...JobIdSchema.shape,
    partition: z.nullable(z.string()),
    name: z.nullable(z.string()),
    user: z.nullable(z.string()),
    state: JobStateSchema,
    elapsed: z.nullable(DurationSchema),
    timeLimit: z.nullable(DurationSchema),
    timeLeft: z.nullable(DurationSchema),
    start: z.nullable(InstantSchema),
    end: z.nullable(InstantSchema),
    nodeCount: z.nullable(z.int()),
    nodes: z.array(z.string()),
    schedNodes: z.array(z.string()),
    reason: z.nullable(z.string()),
    tresPerNode: z.array(GresEntrySchema),
    gresDetail: z.nullable(z.array(GresEntrySchema)),
  }),
);
export type SqueueJob = z.infer<typeof SqueueJobSchema>;

/**
 * Reads `squeue -o SQUEUE_FORMAT` (with or without its header), and any squeue output whose header names
 * known columns, `|`-separated or aligned (the default view). A job name containing `|` is put back together.
 */
export function parseSqueue(stdout: string, opts: TimeOptions = {}): Records<SqueueJob> {
  const { rows, issues } = readTable(stdout, { columns: COLUMNS, aliases: ALIASES, free: "NAME" });
  const records: SqueueJob[] = [];
  for (const row of rows) {
    const job = toJob(row, opts, warnInto(issues, row.where, row.text));
    if (job) records.push(job);
    else issues.push(issue(row.where, row.text, "no job id", true));
  }
  return { records, issues };
}

function toJob(row: TableRow, opts: TimeOptions, warn: Warn): SqueueJob | null {
  const c = row.cells;
  const id = parseJobId(c.JOBID ?? "");
  if (!id) return null;
  const listOrReason = c["NODELIST(REASON)"]?.trim();
  const inParens = listOrReason === undefined ? null : /^\((.*)\)$/.exec(listOrReason);
  const reason = textOf(inParens ? inParens[1] : c.REASON);
  return {
    ...id,
    partition: textOf(c.PARTITION),
    name: textOf(c.NAME),
    user: textOf(c.USER),
    state: parseJobState(c.STATE ?? c.ST ?? ""),
    elapsed: maybe(c.TIME, parseDuration),
    timeLimit: maybe(c.TIME_LIMIT, parseDuration),
    timeLeft: maybe(c.TIME_LEFT, parseDuration),
    start: maybe(c.START_TIME, (t) => parseInstant(t, opts)),
    end: maybe(c.END_TIME, (t) => parseInstant(t, opts)),
    nodeCount: intOf(c.NODES, warn, "NODES"),
    nodes: nodesOf(c.NODELIST ?? (inParens ? undefined : listOrReason), warn),
    schedNodes: nodesOf(c.SCHEDNODES, warn),
    reason: reason === "None" ? null : reason,
    tresPerNode: parseGres(c.TRES_PER_NODE ?? ""),
    gresDetail: null,
  };
}

function maybe<T>(cell: string | undefined, read: (text: string) => T): T | null {
  return cell === undefined ? null : read(cell);
}
