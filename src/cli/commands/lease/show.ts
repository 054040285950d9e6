import type { Config } from "../../../config/index.ts";
import { readLease, requireLease } from "../../../lease/index.ts";
import type { Context } from "../../context.ts";
import { printJson } from "../../output.ts";
import { readSummary, renderSummary } from "../status.ts";
import { describeRequest } from "./describe.ts";

export async function runLeaseShow(
  ctx: Context,
  config: Config,
  id: string,
  options: { alloc?: boolean } = {},
): Promise<number> {
  if (config.cluster && !readLease(ctx.root, id)) {
    return (await import("./cluster-lease.ts")).showClusterLease(ctx, config.cluster, id, options);
  }
  const lease = requireLease(ctx.root, id);
  const summary = readSummary(ctx, config, lease.id);
  if (ctx.json) {
    const { v: _version, ...record } = lease;
    printJson(ctx.io, { ...summary, lease: record });
    return 0;
  }
  const resources =
    lease.kind === "local"
      ? [
          lease.gpuIds ? `gpu ids ${lease.gpuIds.join(",")}` : "gpus detected by the runner",
          lease.cpus ? `${lease.cpus} cpus` : "cpus detected by the runner",
        ]
      : [describeRequest(lease.request)];
  ctx.io.out(renderSummary(ctx, summary));
  ctx.io.out(`  kind ${lease.kind} on ${lease.host}; ${resources.join("; ")}; created ${lease.createdAt}\n`);
  return 0;
}
