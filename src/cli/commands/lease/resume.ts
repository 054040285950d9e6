import type { Config } from "../../../config/index.ts";
import { describePhase, readLease } from "../../../lease/index.ts";
import { callCluster } from "../../cluster/call.ts";
import { clusterRemote } from "../../cluster/connect.ts";
import type { LeaseResumeArgs } from "../../cluster/ops/lease-resume.ts";
import type { LeaseViewResult } from "../../cluster/ops/lease-view.ts";
import { clusterSide } from "../../cluster/side.ts";
import type { Context } from "../../context.ts";
import { printJson } from "../../output.ts";

/**
 * `rv lease resume L`: a Slurm lease paused after too many failures in a row asks Slurm again, at once.
 * Done by the login node (`lease-resume`); run on the login node itself, the op runs here.
 */
export async function runLeaseResume(ctx: Context, config: Config, id: string): Promise<number> {
  const args: LeaseResumeArgs = { lease: id };
  const view = await resume(ctx, config, args);
  if (ctx.json) printJson(ctx.io, { lease: view.lease.id, phase: view.phase, race: view.race });
  else ctx.io.out(`${view.lease.id}\t${describePhase(view.phase)}\n`);
  return 0;
}

async function resume(ctx: Context, config: Config, args: LeaseResumeArgs): Promise<LeaseViewResult> {
  if (config.cluster && !readLease(ctx.root, args.lease)) {
    const remote = clusterRemote(ctx.root, config.cluster.host);
    return (await callCluster(remote, config.cluster, ctx.env, "lease-resume", args)) as LeaseViewResult;
  }
  const { leaseResumeOp } = await import("../../cluster/ops/lease-resume.ts");
  return leaseResumeOp(clusterSide(ctx.root, config, ctx.env), args);
}
