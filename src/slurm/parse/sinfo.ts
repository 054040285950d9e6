import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";
import { intOf, listOf, nodesOf, textOf } from "./fields.ts";
import { GresEntrySchema, parseGres } from "./gres.ts";
import { type Records, type Warn, warnInto } from "./issues.ts";
import { NodeStateSchema, parseNodeState } from "./node-state.ts";
import { readTable, type TableRow } from "./table.ts";
import { DurationSchema, parseDuration } from "./time.ts";

/**
 * The format rv runs sinfo with: one line per node and partition (`-N`; a node in two partitions is listed
 * twice), the partition with `*` for the default, its MaxTime (%l) and DefaultTime (%L), the long state,
 * GRES, CPUs allocated/idle/other/total, memory, features, and the reason last (free text).
 * sinfo's `-o` has no field for GRES in use: that comes from `scontrol -d show node` (GresUsed), or from
 * `sinfo -O ...,GresUsed` whose `GRES_USED` column this parser also reads when the header names it. Keep the
 * header with -O: its columns are aligned with spaces and are not SINFO_FORMAT's, so `-O --noheader` is unreadable.
 */
export const SINFO_FORMAT = "%N|%P|%a|%l|%L|%T|%D|%G|%C|%m|%f|%E";
export const SINFO_ARGS = ["-N", "--noheader", "-o", SINFO_FORMAT] as const;

const COLUMNS = [
  "NODELIST",
  "PARTITION",
  "AVAIL",
  "TIMELIMIT",
  "DEFAULTTIME",
  "STATE",
  "NODES",
  "GRES",
  "CPUS(A/I/O/T)",
  "MEMORY",
  "AVAIL_FEATURES",
  "REASON",
];
/** `-O StateComplete` heads its column STATECOMPLETE (`idle+planned`); it is the state all the same. */
const ALIASES = {
  NOD: "NODES",
  GRES_USED: "GRES_USED",
  HOSTNAMES: "NODELIST",
  FEATURES: "AVAIL_FEATURES",
  STATECOMPLETE: "STATE",
};

export const CpuCountsSchema = deferred(() =>
  z.object({
    allocated: z.int(),
    idle: z.int(),
    other: z.int(),
    total: z.int(),
  }),
);

/**
 * One sinfo line: a node (with -N) or a group of nodes in one partition and state. Fields whose column the
 * output lacks are null (lists are empty).
 */
export const SinfoRowSchema = deferred(() =>
  z.object({
    partition: z.nullable(z.string()),
    /** The partition was printed with `*`: it is the cluster's default. */
    isDefault: z.boolean(),
    /** `up`, `down`, `drain` or `inact`, as printed. */
    avail: z.nullable(z.string()),
    timeLimit: z.nullable(DurationSchema),
    defaultTime: z.nullable(DurationSchema),
    state: z.nullable(NodeStateSchema),
    nodeCount: z.nullable(z.int()),
    nodes: z.array(z.string()),
    gres: z.array(GresEntrySchema),
    gresUsed: z.nullable(z.array(GresEntrySchema)),
    cpus: z.nullable(CpuCountsSchema),
    memoryMiB: z.nullable(z.int()),
    features: z.array(z.string()),
    reason: z.nullable(z.string()),
  }),
);
export type SinfoRow = z.infer<typeof SinfoRowSchema>;

/** Reads `sinfo -o SINFO_FORMAT` with or without header, and any sinfo table whose header names known columns. */
export function parseSinfo(stdout: string): Records<SinfoRow> {
  const { rows, issues } = readTable(stdout, { columns: COLUMNS, aliases: ALIASES, free: "REASON" });
  return { records: rows.map((row) => toRow(row, warnInto(issues, row.where, row.text))), issues };
}

function toRow(row: TableRow, warn: Warn): SinfoRow {
  const c = row.cells;
  const partition = textOf(c.PARTITION);
  const reason = textOf(c.REASON);
  return {
    partition: partition?.replace(/\*$/, "") ?? null,
    isDefault: partition?.endsWith("*") ?? false,
    avail: textOf(c.AVAIL),
    timeLimit: c.TIMELIMIT === undefined ? null : parseDuration(c.TIMELIMIT),
    defaultTime: c.DEFAULTTIME === undefined ? null : parseDuration(c.DEFAULTTIME),
    state: c.STATE === undefined ? null : parseNodeState(c.STATE),
    nodeCount: intOf(c.NODES, warn, "NODES"),
    nodes: nodesOf(c.NODELIST, warn),
    gres: parseGres(c.GRES ?? ""),
    gresUsed: c.GRES_USED === undefined ? null : parseGres(c.GRES_USED),
    cpus: cpusOf(c["CPUS(A/I/O/T)"], warn),
    memoryMiB: intOf(c.MEMORY, warn, "MEMORY"),
    features: listOf(c.AVAIL_FEATURES),
    reason: reason === "none" ? null : reason,
  };
}

function cpusOf(text: string | undefined, warn: Warn): z.infer<typeof CpuCountsSchema> | null {
  if (text === undefined) return null;
  const m = /^(\d+)\/(\d+)\/(\d+)\/(\d+)$/.exec(text.trim());
  if (!m) {
    warn(`CPUS(A/I/O/T) is not a/i/o/t: "${text}"`);
    return null;
  }
  const [allocated, idle, other, total] = m.slice(1).map(Number) as [number, number, number, number];
  return { allocated, idle, other, total };
}

/** A partition as the sinfo rows describe it: its limits, and its nodes (each once). */
export const SinfoPartitionSchema = deferred(() =>
  z.object({
    name: z.string(),
    isDefault: z.boolean(),
    avail: z.nullable(z.string()),
    timeLimit: z.nullable(DurationSchema),
    defaultTime: z.nullable(DurationSchema),
    nodes: z.array(z.string()),
  }),
);
export type SinfoPartition = z.infer<typeof SinfoPartitionSchema>;

export function sinfoPartitions(rows: readonly SinfoRow[]): SinfoPartition[] {
  const byName = new Map<string, SinfoPartition>();
  for (const row of rows) {
    if (row.partition === null) continue;
    const p = byName.get(row.partition) ?? { ...pick(row), name: row.partition, nodes: [] };
    for (const node of row.nodes) if (!p.nodes.includes(node)) p.nodes.push(node);
    byName.set(row.partition, p);
  }
  return [...byName.values()];
}

function pick(row: SinfoRow): Omit<SinfoPartition, "name" | "nodes"> {
  return { isDefault: row.isDefault, avail: row.avail, timeLimit: row.timeLimit, defaultTime: row.defaultTime };
}

/** A node as the `-N` rows describe it, once, with every partition it is in (sinfo repeats it per partition). */
export const SinfoNodeSchema = deferred(() =>
  z.extend(
    z.omit(SinfoRowSchema, {
      partition: true,
      isDefault: true,
      avail: true,
      timeLimit: true,
      defaultTime: true,
      nodeCount: true,
      nodes: true,
    }),
    { name: z.string(), partitions: z.array(z.string()) },
  ),
);
export type SinfoNode = z.infer<typeof SinfoNodeSchema>;

export function sinfoNodes(rows: readonly SinfoRow[]): SinfoNode[] {
  const byName = new Map<string, SinfoNode>();
  for (const row of rows) {
    for (const name of row.nodes) {
      const { state, gres, gresUsed, cpus, memoryMiB, features, reason } = row;
      const node = byName.get(name) ?? {
        name,
        partitions: [],
        state,
        gres,
        gresUsed,
        cpus,
        memoryMiB,
        features,
        reason,
      };
      if (row.partition !== null && !node.partitions.includes(row.partition)) node.partitions.push(row.partition);
      byName.set(name, node);
    }
  }
  return [...byName.values()];
}
