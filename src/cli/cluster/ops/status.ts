import { statfsSync } from "node:fs";
import { z } from "zod";
import { type GpuPool, runQueries, type SqueueJob, shareOf, squeueJobs, sshareRows } from "../../../slurm/index.ts";
import { type LeaseSummary, readSummary } from "../../commands/status.ts";
import { leasesInScope } from "../../scope.ts";
import type { ClusterSide } from "../side.ts";
import { resourcesOp } from "./resources.ts";

export const StatusArgsSchema = z.object({ account: z.string().optional() });
export type StatusArgs = z.infer<typeof StatusArgsSchema>;

export interface StatusResult {
  host: string;
  user: string;
  account: { name: string; fairShare: number | "inf" | null; rawUsage: number | "inf" | null } | null;
  storage: { root: string; freeBytes: number; totalBytes: number };
  leases: LeaseSummary[];
  jobs: Pick<SqueueJob, "jobId" | "name" | "partition" | "state" | "elapsed" | "timeLeft" | "nodes" | "reason">[];
  pools: GpuPool[];
}

/** The cluster at a glance for this user, gathered on the login node in one go. */
export async function statusOp(side: ClusterSide, args: StatusArgs): Promise<StatusResult> {
  const [[shares, queue], resources] = await Promise.all([
    runQueries(side.remote, [sshareRows(side.user), squeueJobs({ user: side.user })] as const),
    resourcesOp(side, { partitions: [] }),
  ]);
  const share = shareOf(shares.records, side.user, args.account);
  const fs = statfsSync(side.ctx.root);
  return {
    host: side.ctx.host,
    user: side.user,
    account: share ? { name: share.account, fairShare: share.fairShare, rawUsage: share.rawUsage } : null,
    storage: { root: side.ctx.root, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize },
    leases: leasesInScope(side.ctx, side.config, undefined).map((lease) => readSummary(side.ctx, side.config, lease)),
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
