import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";
import { gresCount } from "./parse/gres.ts";
import { nodeAcceptsJobs } from "./parse/node-state.ts";
import type { ScontrolNode, ScontrolPartition } from "./parse/scontrol.ts";
import type { SqueueJob } from "./parse/squeue.ts";

/**
 * GPUs of one type in one partition, counted from `scontrol show partition`, `scontrol -d show node` and the
 * pending queue. Every GPU is in exactly one of allocated, idle, planned (idle, but on a node backfill holds for
 * a pending job: only a job that ends before that job starts gets it) and unavailable (on a node that is
 * down, drained, failing or not responding, or in a partition that is not UP).
 */
export const GpuPoolSchema = deferred(() =>
  z.object({
    partition: z.string(),
    type: z.string(),
    nodes: z.int(),
    total: z.int(),
    allocated: z.int(),
    idle: z.int(),
    planned: z.int(),
    unavailable: z.int(),
    /** GPUs that pending jobs ask of this partition and type (untyped requests count where the type is alone). */
    pendingDemand: z.int(),
    /** The most GPUs of this type one node can give a new job now; a request up to this size starts at once. */
    maxFreeOnOneNode: z.int(),
  }),
);
export type GpuPool = z.infer<typeof GpuPoolSchema>;

export interface ClusterGpuFacts {
  partitions: readonly ScontrolPartition[];
  nodes: readonly ScontrolNode[];
  pending: readonly SqueueJob[];
}

export function summarizeGpus(facts: ClusterGpuFacts): GpuPool[] {
  const byName = new Map(facts.nodes.map((n) => [n.name, n]));
  return facts.partitions.flatMap((partition) => {
    const nodes = partition.nodes.flatMap((name) => byName.get(name) ?? []);
    const types = [...new Set(nodes.flatMap((n) => gpuTypes(n)))].sort();
    return types.map((type) => pool(partition, type, nodes, types.length === 1, facts.pending));
  });
}

function gpuTypes(node: ScontrolNode): string[] {
  return node.gres.flatMap((g) => (g.kind === "gres" && g.name === "gpu" && g.count > 0 ? [g.type ?? "gpu"] : []));
}

function pool(
  partition: ScontrolPartition,
  type: string,
  nodes: readonly ScontrolNode[],
  onlyType: boolean,
  pending: readonly SqueueJob[],
): GpuPool {
  const partitionUp = (partition.state ?? "UP").toUpperCase() === "UP";
  const counts = { nodes: 0, total: 0, allocated: 0, idle: 0, planned: 0, unavailable: 0, maxFreeOnOneNode: 0 };
  for (const node of nodes) {
    const total = gpusOfType(node.gres, type);
    if (total === 0) continue;
    const allocated = Math.min(total, gpusOfType(node.gresUsed ?? [], type));
    const free = total - allocated;
    counts.nodes += 1;
    counts.total += total;
    counts.allocated += allocated;
    if (!partitionUp || !nodeAcceptsJobs(node.state)) counts.unavailable += free;
    else if (node.state.flags.includes("planned")) counts.planned += free;
    else {
      counts.idle += free;
      counts.maxFreeOnOneNode = Math.max(counts.maxFreeOnOneNode, free);
    }
  }
  return { partition: partition.name, type, ...counts, pendingDemand: demand(partition.name, type, onlyType, pending) };
}

function gpusOfType(entries: ScontrolNode["gres"], type: string): number {
  return type === "gpu" ? gresCount(entries, { type: undefined }) : gresCount(entries, { type });
}

function demand(partition: string, type: string, onlyType: boolean, pending: readonly SqueueJob[]): number {
  let total = 0;
  for (const job of pending) {
    if (job.state.kind !== "pending" || !(job.partition ?? "").split(",").includes(partition)) continue;
    for (const entry of job.tresPerNode) {
      if (entry.kind !== "gres" || entry.name !== "gpu") continue;
      if (entry.type === type || (entry.type === null && onlyType)) total += entry.count * (job.nodeCount ?? 1);
    }
  }
  return total;
}
