import { statfsSync } from "node:fs";
import { shareOf } from "../slurm/parse/sshare.ts";
import { squeueJobs } from "../slurm/queries/squeue.ts";
import { sshareRows } from "../slurm/queries/sshare.ts";
import { runQueries } from "../slurm/query.ts";
import type { OpEnv } from "./op.ts";
import { readResources } from "./resources.ts";

/**
 * The site's part of `rv status` (statusOp with `slurm`): account and fairshare, storage, the queue, the GPUs. Its
 * shape is checked where statusOp returns it (SiteStatusSchema); this file does not import status.ts back.
 */
export async function readSite(env: OpEnv, account: string | null) {
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
