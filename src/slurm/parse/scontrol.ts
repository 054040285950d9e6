import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { intOf, listOf, nodesOf, textOf } from "./fields.ts";
import { GresEntrySchema, parseGres } from "./gres.ts";
import { issue, type Records, type Warn, warnInto } from "./issues.ts";
import { JobStateSchema, parseJobState } from "./job-state.ts";
import { NodeStateSchema, parseNodeState } from "./node-state.ts";
import { type KvRecord, parseKeyValueRecords } from "./scontrol-kv.ts";
import { DurationSchema, InstantSchema, parseDuration, parseInstant, type TimeOptions } from "./time.ts";
import { parseTres, TresSchema } from "./tres.ts";

/**
 * Typed views of `scontrol show job|partition|node|reservation` records: only the fields rv needs; the rest
 * stays in `parseKeyValueRecords`. A record without its id key is skipped and reported. Run `scontrol -d show
 * node`: GresUsed (GPUs in use, with indexes) is printed only with `-d`.
 */
export const ScontrolJobSchema = deferred(() =>
  z.object({
    jobId: z.string(),
    name: z.nullable(z.string()),
    state: JobStateSchema,
    /** Why the job pends (or failed); `None` reads as null. */
    reason: z.nullable(z.string()),
    partition: z.nullable(z.string()),
    nodes: z.array(z.string()),
    /** A pending job's backfill plan (`SchedNodeList=a6000-01`, with `Scheduler=Backfill:*`). */
    schedNodes: z.array(z.string()),
    /** For a pending job, the planned start (the backfill plan). */
    start: z.nullable(InstantSchema),
    end: z.nullable(InstantSchema),
    timeLimit: z.nullable(DurationSchema),
    tresPerNode: z.array(GresEntrySchema),
    tres: z.nullable(TresSchema),
    /** The batch script as submitted (the original path, not the spooled copy); null for `--wrap` jobs. */
    command: z.nullable(z.string()),
  }),
);
export type ScontrolJob = z.infer<typeof ScontrolJobSchema>;

export const ScontrolPartitionSchema = deferred(() =>
  z.object({
    name: z.string(),
    isDefault: z.boolean(),
    /** UP, DOWN, DRAIN, INACTIVE, as printed. */
    state: z.nullable(z.string()),
    maxTime: z.nullable(DurationSchema),
    defaultTime: z.nullable(DurationSchema),
    nodes: z.array(z.string()),
    totalNodes: z.nullable(z.int()),
    totalCpus: z.nullable(z.int()),
    tres: z.nullable(TresSchema),
  }),
);
export type ScontrolPartition = z.infer<typeof ScontrolPartitionSchema>;

/**
 * The partitions of Slurm's multi-partition form `a,b` (`sbatch -p a,b`; what squeue prints for such a job while
 * it waits, and a lease's request when its parts are spread): a single name is a list of one.
 */
export function partitionNames(text: string | null): string[] {
  return (text ?? "").split(",").filter((p) => p !== "");
}

export const ScontrolNodeSchema = deferred(() =>
  z.object({
    name: z.string(),
    state: NodeStateSchema,
    gres: z.array(GresEntrySchema),
    /** Null unless run with `-d`. */
    gresUsed: z.nullable(z.array(GresEntrySchema)),
    cfgTres: z.nullable(TresSchema),
    allocTres: z.nullable(TresSchema),
    cpuTotal: z.nullable(z.int()),
    cpuAlloc: z.nullable(z.int()),
    realMemoryMiB: z.nullable(z.int()),
    allocMemMiB: z.nullable(z.int()),
    partitions: z.array(z.string()),
    features: z.array(z.string()),
    reason: z.nullable(z.string()),
  }),
);
export type ScontrolNode = z.infer<typeof ScontrolNodeSchema>;

/**
 * A reservation (`scontrol show reservation`): during it, its nodes take only jobs that ask for it by name, and
 * a job whose walltime would reach into it waits (`ReqNodeNotAvail, Reserved for maintenance` for a MAINT one).
 */
export const ScontrolReservationSchema = deferred(() =>
  z.object({
    name: z.string(),
    start: InstantSchema,
    end: InstantSchema,
    /** Expanded from the hostlist; empty for a reservation of licenses or burst buffer only. */
    nodes: z.array(z.string()),
    /** As printed: MAINT, IGNORE_JOBS, OVERLAP, SPEC_NODES ... */
    flags: z.array(z.string()),
  }),
);
export type ScontrolReservation = z.infer<typeof ScontrolReservationSchema>;

export function parseScontrolJobs(stdout: string, opts: TimeOptions = {}): Records<ScontrolJob> {
  return project(stdout, "JobId", (f, warn) => ({
    jobId: f.JobId ?? "",
    name: textOf(f.JobName),
    state: parseJobState(f.JobState ?? ""),
    reason: noneless(f.Reason),
    partition: textOf(f.Partition),
    nodes: nodesOf(f.NodeList, warn),
    schedNodes: nodesOf(f.SchedNodeList, warn),
    start: f.StartTime === undefined ? null : parseInstant(f.StartTime, opts),
    end: f.EndTime === undefined ? null : parseInstant(f.EndTime, opts),
    timeLimit: f.TimeLimit === undefined ? null : parseDuration(f.TimeLimit),
    tresPerNode: parseGres(f.TresPerNode ?? ""),
    tres: tresOf(f.TRES),
    command: textOf(f.Command),
  }));
}

export function parseScontrolPartitions(stdout: string): Records<ScontrolPartition> {
  return project(stdout, "PartitionName", (f, warn) => ({
    name: f.PartitionName ?? "",
    isDefault: f.Default === "YES",
    state: textOf(f.State),
    maxTime: f.MaxTime === undefined ? null : parseDuration(f.MaxTime),
    defaultTime: f.DefaultTime === undefined ? null : parseDuration(f.DefaultTime),
    nodes: nodesOf(f.Nodes, warn),
    totalNodes: intOf(f.TotalNodes, warn, "TotalNodes"),
    totalCpus: intOf(f.TotalCPUs, warn, "TotalCPUs"),
    tres: tresOf(f.TRES),
  }));
}

export function parseScontrolNodes(stdout: string): Records<ScontrolNode> {
  return project(stdout, "NodeName", (f, warn) => ({
    name: f.NodeName ?? "",
    state: parseNodeState(f.State ?? ""),
    gres: parseGres(f.Gres ?? ""),
    gresUsed: f.GresUsed === undefined ? null : parseGres(f.GresUsed),
    cfgTres: tresOf(f.CfgTRES),
    allocTres: tresOf(f.AllocTRES),
    cpuTotal: intOf(f.CPUTot, warn, "CPUTot"),
    cpuAlloc: intOf(f.CPUAlloc, warn, "CPUAlloc"),
    realMemoryMiB: intOf(f.RealMemory, warn, "RealMemory"),
    allocMemMiB: intOf(f.AllocMem, warn, "AllocMem"),
    partitions: listOf(f.Partitions),
    features: listOf(f.AvailableFeatures),
    reason: noneless(f.Reason),
  }));
}

/** What scontrol prints, with status 0, when there is none. */
const NO_RESERVATIONS = /^No reservations in the system$/m;

export function parseScontrolReservations(stdout: string, opts: TimeOptions = {}): Records<ScontrolReservation> {
  return project(stdout.replace(NO_RESERVATIONS, ""), "ReservationName", (f, warn) => ({
    name: f.ReservationName ?? "",
    start: parseInstant(f.StartTime ?? "", opts),
    end: parseInstant(f.EndTime ?? "", opts),
    nodes: nodesOf(textOf(f.Nodes) ?? undefined, warn),
    flags: listOf(f.Flags),
  }));
}

type Fields = Readonly<Record<string, string | undefined>>;

function project<T>(stdout: string, idKey: string, build: (f: Fields, warn: Warn) => T): Records<T> {
  const { records: kv, issues } = parseKeyValueRecords(stdout);
  const records: T[] = [];
  for (const record of kv) {
    if (textOf(record.fields[idKey]) === null) issues.push(issue(record.where, summary(record), `no ${idKey}`, true));
    else records.push(build(record.fields, warnInto(issues, record.where, summary(record))));
  }
  return { records, issues };
}

function summary(record: KvRecord): string {
  return Object.entries(record.fields)
    .map(([k, v]) => `${k}=${v}`)
    .join(" ");
}

function tresOf(text: string | undefined) {
  const t = textOf(text);
  return t === null ? null : parseTres(t);
}

function noneless(text: string | undefined): string | null {
  const t = textOf(text);
  return t === "None" ? null : t;
}
