import type { Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import { clearControl, type Lease, type LocalLease, leasePaths } from "../../../fsqueue/index.ts";
import {
  ensureRoot,
  newLocalLease,
  readLease,
  startLocalRunner,
  validateLeaseName,
  writeLease,
} from "../../../lease/index.ts";
import type { Context } from "../../context.ts";
import { parseCount, parseGpuIds } from "../../flags.ts";
import { isLeaseLive } from "../../leases.ts";
import { printJson } from "../../output.ts";

export interface LeaseUpOptions {
  name?: string;
  gpuIds?: string;
  cpus?: string;
  local?: boolean;
}

export type UpResult =
  | { outcome: "already-running"; lease: Lease }
  | { outcome: "started" | "resumed"; lease: Lease; pid: number };

/** Starts a local lease, or resumes one whose runner died or that was released. Idempotent. */
export async function upLocal(
  ctx: Context,
  config: Config,
  request: { name: string; gpuIds?: string[] | undefined; cpus?: number | undefined },
): Promise<UpResult> {
  ensureRoot(ctx.root);
  const existing = readLease(ctx.root, request.name);
  if (existing?.kind === "slurm") {
    throw new RvError("usage", `lease ${request.name} is a Slurm lease; a local lease needs another name`, {
      hint: `rv lease up --local --name ${request.name}-local`,
    });
  }
  if (existing?.state === "active" && isLeaseLive(ctx, config, existing)) {
    return { outcome: "already-running", lease: existing };
  }
  const gpuIds = request.gpuIds ?? existing?.gpuIds;
  const cpus = request.cpus ?? existing?.cpus;
  const resources = { ...(gpuIds && { gpuIds }), ...(cpus && { cpus }) };
  const lease: LocalLease = existing
    ? { ...existing, ...resources, state: "active" }
    : newLocalLease(request.name, ctx.host, ctx.now(), resources);
  writeLease(ctx.root, lease);
  const p = leasePaths(ctx.root, lease.id);
  clearControl(p, "lease", "drain");
  clearControl(p, "lease", "stop");
  const { pid } = await startLocalRunner(ctx.root, lease, ctx.env);
  return { outcome: existing ? "resumed" : "started", lease, pid };
}

export async function runLeaseUp(ctx: Context, config: Config, options: LeaseUpOptions): Promise<number> {
  const name = validateLeaseName(options.name ?? config.defaults.lease);
  const result = await upLocal(ctx, config, {
    name,
    gpuIds: parseGpuIds(options.gpuIds),
    cpus: parseCount("--cpus", options.cpus, 1),
  });
  if (ctx.json) {
    printJson(ctx.io, {
      lease: result.lease.id,
      outcome: result.outcome,
      pid: "pid" in result ? result.pid : null,
    });
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
