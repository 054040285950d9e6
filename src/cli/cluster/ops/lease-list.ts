import { z } from "zod";
import { type LeaseFacts, listLeases } from "../../../lease/index.ts";
import { type LeaseSummary, readSummary } from "../../commands/status.ts";
import { isLeaseLive } from "../../leases.ts";
import type { ClusterSide } from "../side.ts";

export const LeaseListArgsSchema = z.object({});

export interface ClusterLease extends LeaseFacts {
  kind: "local" | "slurm";
  summary: LeaseSummary;
}

/** Every lease under the cluster root, with what `rv lease ls` and the choice of a default lease need. */
export function leaseListOp(side: ClusterSide): { leases: ClusterLease[] } {
  const leases = listLeases(side.ctx.root).map((lease) => ({
    id: lease.id,
    kind: lease.kind,
    state: lease.state,
    createdAt: lease.createdAt,
    live: isLeaseLive(side.ctx, side.config, lease),
    summary: readSummary(side.ctx, side.config, lease.id),
  }));
  return { leases };
}
