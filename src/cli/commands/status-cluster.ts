import type { ClusterConfig } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { formatDuration as slurmDuration } from "../../slurm/index.ts";
import { callCluster } from "../cluster/call.ts";
import { clusterRemote } from "../cluster/connect.ts";
import type { StatusResult } from "../cluster/ops/status.ts";
import type { Context } from "../context.ts";
import { formatDuration, paint, renderTable } from "../output.ts";

/** The cluster half of `rv status`: one round trip, or the reason it failed (local leases still show). */
export type ClusterStatus =
  | { name: string; host: string; roundTripMs: number; status: StatusResult }
  | { name: string; host: string; error: RvError };

export async function readClusterStatus(ctx: Context, cluster: ClusterConfig): Promise<ClusterStatus> {
  const started = performance.now();
  try {
    const remote = clusterRemote(ctx.root, cluster.host);
    const args = cluster.account ? { account: cluster.account } : {};
    const status = (await callCluster(remote, cluster, ctx.env, "status", args)) as StatusResult;
    return { name: cluster.name, host: cluster.host, roundTripMs: Math.round(performance.now() - started), status };
  } catch (error) {
    if (!(error instanceof RvError)) throw error;
    return { name: cluster.name, host: cluster.host, error };
  }
}

export function clusterJson(c: ClusterStatus): Record<string, unknown> {
  if ("error" in c) {
    const { code, message, hint } = c.error;
    return { name: c.name, via: c.host, connected: false, error: { code, message, hint: hint ?? null } };
  }
  return { name: c.name, via: c.host, connected: true, roundTripMs: c.roundTripMs, ...c.status };
}

export function renderClusterStatus(ctx: Context, c: ClusterStatus): string {
  const title = paint(ctx.io, "bold", `cluster ${c.name}`);
  if ("error" in c) {
    const hint = c.error.hint ? `\n  hint: ${c.error.hint}` : "";
    return `${title}  ${paint(ctx.io, "red", "not connected")}: ${c.error.message}${hint}\n`;
  }
  const s = c.status;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(0)} GiB`;
  const fairShare = s.account?.fairShare;
  const lines = [
    `${title}  ${s.user}@${s.host} via ${c.host}  ${paint(ctx.io, "green", "connected")} (${c.roundTripMs} ms)`,
    `  account: ${s.account ? `${s.account.name}, fairshare ${fairShare ?? "-"}` : "no association found (sshare)"}`,
    `  storage: ${gib(s.storage.freeBytes)} free of ${gib(s.storage.totalBytes)} at ${s.storage.root}`,
    `  leases: ${s.leases.length ? s.leases.map((l) => `${l.lease} (${l.counts.running} running, ${l.counts.pending} pending)`).join(", ") : "none"}`,
    `  jobs: ${s.jobs.length ? "" : "none"}`,
  ];
  const jobs = renderTable(
    ctx.io,
    ["  job", "name", "partition", "state", "time", "left", "nodes/reason"],
    s.jobs.map((j) => [
      `  ${j.jobId}`,
      j.name ?? "-",
      j.partition ?? "-",
      j.state.kind,
      j.elapsed?.kind === "seconds" ? formatDuration(j.elapsed.seconds * 1000) : "-",
      j.timeLeft?.kind === "seconds" ? slurmDuration(j.timeLeft.seconds) : "-",
      j.nodes.length ? j.nodes.join(",") : (j.reason ?? "-"),
    ]),
  );
  const gpus = s.pools.map((p) => `${p.type} ${p.idle}/${p.total} idle`).join(", ");
  return `${lines.join("\n")}\n${jobs}  GPUs: ${gpus || "none"}\n`;
}
