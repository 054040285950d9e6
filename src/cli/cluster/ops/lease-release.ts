import { userInfo } from "node:os";
import { z } from "zod";
import { cancelLosers, readClaim, readLatestRace } from "../../../alloc/index.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths, newRunnerId, readHeartbeats, requestControl } from "../../../fsqueue/index.ts";
import { readSegments, requireLease, updateLease } from "../../../lease/index.ts";
import { holdsAllocation, jobStatus, runQuery, scancelJobs } from "../../../slurm/index.ts";
import type { ClusterSide } from "../side.ts";

export const LeaseReleaseArgsSchema = z.object({ lease: z.string(), now: z.boolean().default(false) });
export type LeaseReleaseArgs = z.infer<typeof LeaseReleaseArgsSchema>;

export interface LeaseReleaseResult {
  lease: string;
  mode: "drain" | "stop";
  /** Segment jobs Slurm was asked to end. */
  cancelled: string[];
}

/** How long `--now` lets runners put their tasks back before their job is cancelled under them. */
const STOP_WAIT_MS = 15_000;

/**
 * Releases a Slurm lease. The record says released, so no segment renews it, and queued segments are
 * cancelled at once. Draining, the running segment's runners finish their tasks and exit, which ends the
 * job by itself. With `now`, the runners stop and put their tasks back in the inbox, and then the job is
 * cancelled so the GPUs go back at once. Queued tasks stay in the inbox either way.
 */
export async function leaseReleaseOp(side: ClusterSide, args: LeaseReleaseArgs): Promise<LeaseReleaseResult> {
  const { root } = side.ctx;
  const lease = requireLease(root, args.lease);
  if (lease.kind !== "slurm") throw new RvError("usage", `lease ${lease.id} on the cluster is not a Slurm lease`);
  const p = leasePaths(root, lease.id);
  const mode = args.now ? "stop" : "drain";
  updateLease(root, lease.id, (now) => ({ ...now, state: "released" }));
  requestControl(p, "lease", mode, newRunnerId(`rpc-${side.ctx.host}`, process.pid), side.ctx.now());
  const jobs = await jobStatus(
    side.remote,
    readSegments(p).map((s) => s.jobId),
  );
  const pending = jobs.filter((j) => j.state?.kind === "pending").map((j) => j.jobId);
  const running = jobs.filter((j) => j.state && holdsAllocation(j.state.kind));
  if (args.now) await runnersExited(p, STOP_WAIT_MS);
  const toCancel = args.now ? [...pending, ...running.map((j) => j.jobId)] : pending;
  if (toCancel.length) await runQuery(side.remote, scancelJobs(toCancel));
  return { lease: lease.id, mode, cancelled: [...toCancel, ...(await cancelRacers(side, p))] };
}

/** Every job of the race but its winner (a segment like any other, handled above): nothing is left to claim the lease. */
async function cancelRacers(side: ClusterSide, p: ReturnType<typeof leasePaths>): Promise<string[]> {
  const race = readLatestRace(p);
  if (!race) return [];
  return cancelLosers(side.remote, race, readClaim(p)?.jobId ?? "", userInfo().username);
}

async function runnersExited(p: ReturnType<typeof leasePaths>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline && readHeartbeats(p).some((hb) => hb.state !== "exited")) {
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
