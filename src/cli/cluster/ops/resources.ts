import { z } from "zod";
import {
  type GpuPool,
  runQueries,
  scontrolNodes,
  scontrolPartitions,
  squeueJobs,
  summarizeGpus,
} from "../../../slurm/index.ts";
import type { ClusterSide } from "../side.ts";

export const ResourcesArgsSchema = z.object({ partitions: z.array(z.string()).default([]) });
export type ResourcesArgs = z.infer<typeof ResourcesArgsSchema>;

export interface ResourcesResult {
  at: string;
  pools: GpuPool[];
}

/** GPUs per partition and type, from three Slurm commands run together on the login node. */
export async function resourcesOp(side: ClusterSide, args: ResourcesArgs): Promise<ResourcesResult> {
  const [partitions, nodes, pending] = await runQueries(side.remote, [
    scontrolPartitions(),
    scontrolNodes(),
    squeueJobs({ states: ["PENDING"] }),
  ] as const);
  const pools = summarizeGpus({ partitions: partitions.records, nodes: nodes.records, pending: pending.records });
  const wanted = args.partitions;
  return {
    at: side.ctx.now().toISOString(),
    pools: wanted.length ? pools.filter((p) => wanted.includes(p.partition)) : pools,
  };
}
