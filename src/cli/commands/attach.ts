import { join } from "node:path";
import { execa } from "execa";
import type { ClusterConfig, Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { shJoin } from "../../remote/index.ts";
import { callCluster } from "../cluster/call.ts";
import { clusterRemote, requireCluster, sshDir } from "../cluster/connect.ts";
import { clusterLeases } from "../cluster/leases.ts";
import type { LeaseViewResult } from "../cluster/ops/lease-view.ts";
import type { Context } from "../context.ts";

/**
 * `rv attach [LEASE]`: a shell on the node of the lease's running segment, inside its allocation
 * (`srun --jobid J --overlap --pty`, so it sees the lease's GPUs), through an ssh session with a terminal.
 * Leaving the shell leaves the lease as it was.
 */
export async function runAttach(ctx: Context, config: Config, named: string | undefined): Promise<number> {
  const cluster = requireCluster(config);
  const lease = named ?? (await defaultClusterLease(ctx, cluster));
  const remote = clusterRemote(ctx.root, cluster.host);
  const view = (await callCluster(remote, cluster, ctx.env, "lease-view", { lease })) as LeaseViewResult;
  const running = view.segments.find((s) => s.job.state?.kind === "running");
  if (!running) {
    throw new RvError("no_runner", `lease ${lease} has no running segment to attach to`, {
      hint: `rv lease show ${lease} says where it stands`,
    });
  }
  const shell = ["srun", "--jobid", running.segment.jobId, "--overlap", "--pty", "bash", "-l"];
  ctx.io.err(`rv: attaching to lease ${lease}: job ${running.segment.jobId} on ${running.job.nodes.join(",")}\n`);
  return interactive(ctx, cluster, shell);
}

/** The only running Slurm lease on the cluster, or the newest; says which when there were several. */
async function defaultClusterLease(ctx: Context, cluster: ClusterConfig): Promise<string> {
  const live = (await clusterLeases(ctx, cluster))
    .filter((l) => l.kind === "slurm" && l.state === "active" && l.live)
    .sort((a, b) => b.createdAt.localeCompare(a.createdAt));
  const [newest, ...others] = live;
  if (!newest) throw new RvError("not_found", `no running lease on cluster ${cluster.name}`, { hint: "rv lease ls" });
  if (others.length) ctx.io.err(`rv: using lease ${newest.id}, the most recent of ${live.length} running leases\n`);
  return newest.id;
}

/** Runs `argv` on the login node with this terminal attached (ssh -t), and returns its exit status. */
async function interactive(ctx: Context, cluster: ClusterConfig, argv: string[]): Promise<number> {
  const [file = "", ...args] =
    cluster.host === "local" ? argv : ["ssh", "-F", join(sshDir(ctx.root), "config"), "-t", cluster.host, shJoin(argv)];
  const done = await execa(file, args, { stdio: "inherit", reject: false });
  return done.exitCode ?? 1;
}
