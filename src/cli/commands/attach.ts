import { join } from "node:path";
import { execa } from "execa";
import type { ClusterConfig } from "../../config/index.ts";
import { type AttachTarget, attachOp, requireCluster, sshDir } from "../../ops/index.ts";
import { shJoin } from "../../remote/index.ts";
import type { Context } from "../context.ts";

/**
 * `rv attach [TASK|LEASE]`: a shell inside the allocation of a lease's running segment (`srun --jobid J
 * --overlap --pty`, so it sees the lease's GPUs), on a named task's node and in its directory, through an ssh
 * session with a terminal. Leaving the shell leaves the lease as it was.
 */
export async function runAttach(ctx: Context, ref: string | undefined): Promise<number> {
  const cluster = requireCluster(ctx.config);
  const target = await (ctx.cluster ?? ctx.local).call(attachOp, { ref: ref ?? null });
  for (const note of target.notes) ctx.io.err(`rv: ${note}\n`);
  const where = target.task && target.cwd !== null ? `task ${target.task.id} on ${target.node}` : `job ${target.jobId}`;
  ctx.io.err(`rv: attaching to lease ${target.lease}: ${where}${target.node ? ` (node ${target.node})` : ""}\n`);
  return interactive(ctx, cluster, attachCommand(target));
}

export function attachCommand(target: AttachTarget): string[] {
  return [
    ...["srun", "--jobid", target.jobId, "--overlap", "--pty"],
    ...(target.node ? ["-w", target.node] : []),
    ...(target.cwd ? ["--chdir", target.cwd] : []),
    ...["bash", "-l"],
  ];
}

/** Runs `argv` on the login node with this terminal attached (ssh -t), and returns its exit status. */
async function interactive(ctx: Context, cluster: ClusterConfig, argv: string[]): Promise<number> {
  const [file = "", ...args] =
    cluster.host === "local" ? argv : ["ssh", "-F", join(sshDir(ctx.root), "config"), "-t", cluster.host, shJoin(argv)];
  const done = await execa(file, args, { stdio: "inherit", reject: false });
  return done.exitCode ?? 1;
}
