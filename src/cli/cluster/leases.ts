import type { ClusterConfig } from "../../config/index.ts";
import type { LeaseFacts } from "../../lease/index.ts";
import type { Context } from "../context.ts";
import { callCluster } from "./call.ts";
import { clusterRemote } from "./connect.ts";
import type { ClusterLease } from "./ops/lease-list.ts";

/** The leases under the cluster's root, tagged with the cluster's name. One round trip. */
export async function clusterLeases(ctx: Context, cluster: ClusterConfig): Promise<ClusterLease[]> {
  const remote = clusterRemote(ctx.root, cluster.host);
  const { leases } = (await callCluster(remote, cluster, ctx.env, "lease-list", {})) as { leases: ClusterLease[] };
  return leases.map((lease) => ({ ...lease, cluster: cluster.name }));
}

export async function clusterLeaseFacts(ctx: Context, cluster: ClusterConfig): Promise<LeaseFacts[]> {
  return (await clusterLeases(ctx, cluster)).map(({ id, state, createdAt, live, cluster: where }) => ({
    id,
    state,
    createdAt,
    live,
    ...(where && { cluster: where }),
  }));
}
