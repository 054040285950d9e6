import type { Remote } from "../remote/index.ts";
import {
  parsedQuery,
  runQueries,
  scontrolNodes,
  scontrolPartitions,
  scontrolReservations,
  squeueJobs,
} from "../slurm/index.ts";
import type { ClusterState } from "./schema.ts";

/**
 * The cluster as the allocator needs it, in one round trip: partitions, nodes with the GRES in use, every
 * running and pending job of every user (the backfill estimate plays the whole queue), the reservations (no
 * segment may reach into one), who rv runs as, and the login node's clock (estimates are epochs on the
 * cluster's clock, not the laptop's).
 */
export async function readClusterState(remote: Remote): Promise<ClusterState> {
  const [partitions, nodes, jobs, reservations, user, now] = await runQueries(remote, [
    scontrolPartitions(),
    scontrolNodes(),
    squeueJobs({ states: ["PENDING", "RUNNING", "CONFIGURING", "COMPLETING"] }),
    scontrolReservations(),
    parsedQuery(["id", "-un"], (out) => out.trim()),
    parsedQuery(["date", "+%s"], (out) => Number.parseInt(out.trim(), 10)),
  ] as const);
  return {
    nowEpoch: now,
    user,
    partitions: partitions.records,
    nodes: nodes.records,
    jobs: jobs.records,
    reservations: reservations.records,
  };
}
