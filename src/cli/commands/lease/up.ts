import { RvError } from "../../../errors.ts";
import { leaseUpLocalOp } from "../../../ops/index.ts";
import type { Context } from "../../context.ts";
import { parseCount, parseGpuIds } from "../../flags.ts";
import { printJson } from "../../output.ts";
import { runSlurmLeaseUp, type SlurmLeaseUpOptions } from "./up-slurm.ts";

export interface LeaseUpOptions extends SlurmLeaseUpOptions {
  gpuIds?: string;
  local?: boolean;
}

/** The flags only a Slurm lease takes, as commander names them, with the flag a person typed. */
const CLUSTER_FLAGS: [keyof SlurmLeaseUpOptions, string][] = [
  ["gpu", "--gpu"],
  ["type", "--type"],
  ["vram", "--vram"],
  ["partition", "--partition"],
  ["nodes", "--nodes"],
  ["parts", "--parts"],
  ["mem", "--mem"],
  ["time", "--time"],
  ["segment", "--segment"],
  ["renewal", "--renewal"],
  ["overlap", "--overlap"],
  ["account", "--account"],
  ["idleRelease", "--idle-release"],
  ["dryRun", "--dry-run"],
  ["detach", "--detach"],
];

/**
 * Which lease `rv lease up` starts: on this machine with --local or --gpu-ids, else on the cluster when one is
 * configured, else on this machine. Flags of the other kind are refused, never ignored: a local runner must not
 * start when the person asked for 4 GPUs on a cluster that is not configured.
 */
export function leaseKind(options: LeaseUpOptions, clusterConfigured: boolean): "local" | "slurm" {
  const clusterFlags = CLUSTER_FLAGS.filter(([key]) => options[key] !== undefined).map(([, flag]) => flag);
  const local = options.local === true || options.gpuIds !== undefined;
  if (local && clusterFlags.length > 0) {
    throw new RvError(
      "usage",
      `${clusterFlags.join(", ")}: only for a lease on a cluster, not with --local or --gpu-ids`,
      {
        hint: "a lease on this machine takes --name, --gpu-ids and --cpus; drop the others, or leave out --local",
      },
    );
  }
  if (local) return "local";
  if (clusterConfigured) return "slurm";
  if (clusterFlags.length > 0) {
    throw new RvError("usage", `${clusterFlags.join(", ")}: no cluster is configured to ask`, {
      hint: "connect one with rv init --host LOGIN_NODE --user USER; for a lease on this machine: rv lease up --local",
    });
  }
  return "local";
}

export async function runLeaseUp(ctx: Context, options: LeaseUpOptions): Promise<number> {
  if (leaseKind(options, ctx.cluster !== null) === "slurm") return runSlurmLeaseUp(ctx, options);
  const name = options.name ?? ctx.config.defaults.lease;
  const result = await ctx.local.call(leaseUpLocalOp, {
    name,
    gpuIds: parseGpuIds(options.gpuIds) ?? null,
    cpus: parseCount("--cpus", options.cpus, 1) ?? null,
  });
  if (ctx.json) {
    printJson(ctx.io, { lease: result.lease.id, outcome: result.outcome, pid: result.pid });
  } else if (result.outcome === "already-running") {
    const changing = options.gpuIds !== undefined || options.cpus !== undefined;
    ctx.io.err(
      changing
        ? `lease ${name} is already running; its GPUs and CPUs stay as they are (release it first to change them: rv lease release ${name} --wait)\n`
        : `lease ${name} is already running\n`,
    );
  } else {
    ctx.io.err(`${result.outcome} local lease ${name} (runner pid ${result.pid})\n`);
  }
  return 0;
}
