import { requireCluster, resourcesOp } from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import type { GpuPool } from "../../slurm/index.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { paint, printJson, renderTable } from "../output.ts";
import { describeReservation } from "./reservation-text.ts";

export interface ResourcesOptions {
  partition: string[];
  gpu?: string;
}

/** What a request for `gpus` GPUs of one type would meet now, per partition: a pure reading of the pools. */
export function verdict(pool: GpuPool, gpus: number): "starts now" | "starts now across nodes" | "waits" {
  if (pool.maxFreeOnOneNode >= gpus) return "starts now";
  if (pool.idle >= gpus) return "starts now across nodes";
  return "waits";
}

export async function runResources(ctx: Context, options: ResourcesOptions): Promise<number> {
  const gpus = parseCount("--gpu", options.gpu, 1);
  const cluster = requireCluster(ctx.config);
  const result = await (ctx.cluster ?? ctx.local).call(resourcesOp, { partitions: options.partition });
  const pools = result.pools.map((pool) => ({ ...pool, ...(gpus !== undefined && { request: verdict(pool, gpus) }) }));
  if (ctx.json) {
    const { at, reservations } = result;
    printJson(ctx.io, { cluster: cluster.name, at, request: gpus ?? null, pools, reservations });
    return 0;
  }
  ctx.io.out(renderPools(ctx, result.pools));
  ctx.io.out(`${meaning(ctx, result.pools, gpus)}\n`);
  const nowEpoch = Math.floor(Date.parse(result.at) / 1000);
  if (result.reservations.length > 0) {
    ctx.io.out("reservations (their nodes run no lease's job while they last; segments end before them):\n");
  }
  for (const r of result.reservations) {
    ctx.io.out(`  ${describeReservation(r, nowEpoch)} [${r.partitions.join(", ")}]\n`);
  }
  return 0;
}

function renderPools(ctx: Context, pools: GpuPool[]): string {
  const rows = pools.map((p) => [
    p.partition,
    p.type,
    String(p.total),
    String(p.allocated),
    paint(ctx.io, p.idle > 0 ? "green" : "dim", String(p.idle)),
    String(p.planned),
    String(p.unavailable),
    String(p.pendingDemand),
    String(p.maxFreeOnOneNode),
  ]);
  const header = ["partition", "type", "total", "alloc", "idle", "planned", "down", "pending", "now/node"];
  return renderTable(ctx.io, header, rows);
}

function meaning(ctx: Context, pools: GpuPool[], gpus: number | undefined): string {
  if (gpus === undefined) {
    const best = [...pools].sort((a, b) => b.maxFreeOnOneNode - a.maxFreeOnOneNode)[0];
    if (!best || best.maxFreeOnOneNode === 0)
      return "no GPU is idle now: a new job waits (planned GPUs go to jobs that fit before the backfill plan)";
    return `now: up to ${best.maxFreeOnOneNode} ${best.type} on one node in ${best.partition} start at once (rv resources --gpu N for a given size)`;
  }
  const lines = pools.map((p) => `  ${p.partition} (${p.type}): ${paintVerdict(ctx, verdict(p, gpus))}`);
  return `a request for ${plural(gpus, "GPU")} now:\n${lines.join("\n")}`;
}

function paintVerdict(ctx: Context, v: ReturnType<typeof verdict>): string {
  return paint(ctx.io, v === "waits" ? "yellow" : "green", v);
}
