import { statfsSync } from "node:fs";
import { z } from "zod";
import { SqueueJobSchema } from "../slurm/parse/squeue.ts";
import { SshareRowSchema, shareOf } from "../slurm/parse/sshare.ts";
import { squeueJobs } from "../slurm/queries/squeue.ts";
import { sshareRows } from "../slurm/queries/sshare.ts";
import { runQueries } from "../slurm/query.ts";
import { GpuPoolSchema } from "../slurm/resources.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { readResources } from "./resources.ts";
import { LeaseSummarySchema, leasesInScope, readSummary } from "./summary.ts";

/** The cluster at a glance for this user: account and fairshare, storage, the queue, the GPUs. */
export const SiteStatusSchema = z.object({
  host: z.string(),
  user: z.string(),
  account: SshareRowSchema.pick({ fairShare: true, rawUsage: true }).extend({ name: z.string() }).nullable(),
  storage: z.object({ root: z.string(), freeBytes: z.number(), totalBytes: z.number() }),
  jobs: z.array(
    SqueueJobSchema.pick({
      jobId: true,
      name: true,
      partition: true,
      state: true,
      elapsed: true,
      timeLeft: true,
      nodes: true,
      reason: true,
    }),
  ),
  pools: z.array(GpuPoolSchema),
});
export type SiteStatus = z.infer<typeof SiteStatusSchema>;

/**
 * `rv status`: each lease in scope at a glance and, where Slurm is (`slurm`), the site: one round trip to a cluster
 * for all of it.
 */
export const statusOp = defineOp({
  name: "status",
  input: z.object({
    lease: z.string().nullable().default(null),
    slurm: z.boolean().default(false),
    account: z.string().nullable().default(null),
  }),
  result: z.object({ leases: z.array(LeaseSummarySchema), site: SiteStatusSchema.nullable() }),
  async run(env, input) {
    const leases = leasesInScope(env, input.lease).map((lease) => readSummary(env, lease));
    return { leases, site: input.slurm ? await readSite(env, input.account) : null };
  },
});

async function readSite(env: OpEnv, account: string | null): Promise<SiteStatus> {
  const [[shares, queue], resources] = await Promise.all([
    runQueries(env.remote, [sshareRows(env.user), squeueJobs({ user: env.user })] as const),
    readResources(env, []),
  ]);
  const share = shareOf(shares.records, env.user, account ?? undefined);
  const fs = statfsSync(env.root);
  return {
    host: env.host,
    user: env.user,
    account: share ? { name: share.account, fairShare: share.fairShare, rawUsage: share.rawUsage } : null,
    storage: { root: env.root, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize },
    jobs: queue.records.map(({ jobId, name, partition, state, elapsed, timeLeft, nodes, reason }) => ({
      jobId,
      name,
      partition,
      state,
      elapsed,
      timeLeft,
      nodes,
      reason,
    })),
    pools: resources.pools,
  };
}
