import type { Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import { readLease, requireLease } from "../../../lease/index.ts";
import { callCluster } from "../../cluster/call.ts";
import { clusterRemote } from "../../cluster/connect.ts";
import type { LeaseExtendArgs, LeaseExtendResult } from "../../cluster/ops/lease-extend.ts";
import { clusterSide } from "../../cluster/side.ts";
import type { Context } from "../../context.ts";
import { parseWalltime } from "../../flags.ts";
import { formatDuration, printJson } from "../../output.ts";

/**
 * `rv lease extend L --time T`: T more for a Slurm lease, done by the login node (`lease-extend`); run on the
 * login node itself (the lease is in this root), the op runs here.
 */
export async function runLeaseExtend(
  ctx: Context,
  config: Config,
  id: string,
  options: { time?: string },
): Promise<number> {
  const addSeconds = parseWalltime("--time", options.time);
  if (addSeconds === undefined) throw new RvError("usage", "rv lease extend needs --time, e.g. --time 2h");
  const args: LeaseExtendArgs = { lease: id, addSeconds };
  const result = await extend(ctx, config, args);
  if (ctx.json) printJson(ctx.io, { ...result });
  else ctx.io.out(`${describeExtension(result)}\n`);
  return 0;
}

async function extend(ctx: Context, config: Config, args: LeaseExtendArgs): Promise<LeaseExtendResult> {
  if (config.cluster && !readLease(ctx.root, args.lease)) {
    const remote = clusterRemote(ctx.root, config.cluster.host);
    return (await callCluster(remote, config.cluster, ctx.env, "lease-extend", args)) as LeaseExtendResult;
  }
  const lease = requireLease(ctx.root, args.lease);
  if (lease.kind !== "slurm") {
    throw new RvError("usage", `lease ${lease.id} is a local lease: it has no time limit to extend`, {
      hint: `it holds its GPUs until released: rv lease release ${lease.id}`,
    });
  }
  const { leaseExtendOp } = await import("../../cluster/ops/lease-extend.ts");
  return leaseExtendOp(clusterSide(ctx.root, config, ctx.env), args);
}

/** `sweep  +2h00m, 26h00m in all; segment 9 (job 4711) queued after job 4710` */
export function describeExtension(r: LeaseExtendResult): string {
  const head = `${r.lease.id}\t+${formatDuration(r.addedSeconds * 1000)}, ${formatDuration(r.lease.request.totalSeconds * 1000)} in all`;
  if (!r.submitted) return `${head}; ${r.why}`;
  const after = r.submitted.after ? `queued after job ${r.submitted.after}` : "queued";
  return `${head}; segment ${r.submitted.n} (job ${r.submitted.jobId}) ${after}`;
}
