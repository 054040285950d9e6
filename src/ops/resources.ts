import { z } from "zod";
import {
  GpuPoolSchema,
  runQueries,
  scontrolNodes,
  scontrolPartitions,
  squeueJobs,
  summarizeGpus,
} from "../slurm/index.ts";
import { defineOp, type OpEnv } from "./op.ts";

const ResourcesSchema = z.object({ at: z.string(), pools: z.array(GpuPoolSchema) });
type Resources = z.infer<typeof ResourcesSchema>;

/** GPUs per partition and type, from three Slurm commands run together where Slurm is. */
export async function readResources(env: OpEnv, partitions: string[]): Promise<Resources> {
  const [parts, nodes, pending] = await runQueries(env.remote, [
    scontrolPartitions(),
    scontrolNodes(),
    squeueJobs({ states: ["PENDING"] }),
  ] as const);
  const pools = summarizeGpus({ partitions: parts.records, nodes: nodes.records, pending: pending.records });
  return {
    at: env.now().toISOString(),
    pools: partitions.length ? pools.filter((p) => partitions.includes(p.partition)) : pools,
  };
}

/** `rv resources`: total, allocated, idle, planned and wanted GPUs per partition and type. */
export const resourcesOp = defineOp({
  name: "resources",
  input: z.object({ partitions: z.array(z.string()).default([]) }),
  result: ResourcesSchema,
  run: (env, input) => readResources(env, input.partitions),
});
