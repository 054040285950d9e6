import { z } from "zod";
import { RvError } from "../../../errors.ts";
import { leasePaths } from "../../../fsqueue/index.ts";
import { NO_FAILURES, readRetry, requireLease, writeRetry } from "../../../lease/index.ts";
import type { ClusterSide } from "../side.ts";
import { type LeaseViewResult, leaseViewOp } from "./lease-view.ts";

export const LeaseResumeArgsSchema = z.object({ lease: z.string() });
export type LeaseResumeArgs = z.infer<typeof LeaseResumeArgsSchema>;

/**
 * Lifts a lease's pause (lease/retry.ts): its failures in a row are forgotten, and the look that follows at
 * once races again or replaces the dead segment. The failure that paused it is seen by that look and counts as
 * the first of a new run, which acts at once, as any first failure does.
 */
export async function leaseResumeOp(side: ClusterSide, args: LeaseResumeArgs): Promise<LeaseViewResult> {
  const lease = requireLease(side.ctx.root, args.lease);
  if (lease.kind !== "slurm" || lease.state !== "active") {
    throw new RvError("usage", `lease ${lease.id} is not an active Slurm lease: there is nothing to resume`, {
      hint: "start a new one: rv lease up --gpu N",
    });
  }
  const p = leasePaths(side.ctx.root, lease.id);
  const retry = readRetry(p);
  if (retry.paused === null) {
    throw new RvError("usage", `lease ${lease.id} is not paused`, {
      hint: `rv lease show ${lease.id} says where it stands`,
    });
  }
  writeRetry(p, NO_FAILURES);
  return leaseViewOp(side, { lease: lease.id, alloc: false });
}
