import type { Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import { listLeases } from "../../../lease/index.ts";
import { clusterLeases } from "../../cluster/leases.ts";
import type { Context } from "../../context.ts";
import { formatTime, printJson, renderTable } from "../../output.ts";
import { type LeaseSummary, readSummary } from "../status.ts";

interface LeaseRow {
  id: string;
  kind: "local" | "slurm";
  state: "active" | "released";
  createdAt: string;
  /** The cluster's name, or "local" for this machine. */
  where: string;
  summary: LeaseSummary;
}

/** Every lease, here and (when one is configured) on the cluster: one round trip for the cluster's. */
export async function runLeaseLs(ctx: Context, config: Config): Promise<number> {
  const rows: LeaseRow[] = listLeases(ctx.root).map((lease) => ({
    ...lease,
    where: "local",
    summary: readSummary(ctx, config, lease.id),
  }));
  let unreachable: RvError | undefined;
  if (config.cluster) {
    try {
      for (const lease of await clusterLeases(ctx, config.cluster)) rows.push({ ...lease, where: config.cluster.name });
    } catch (error) {
      if (!(error instanceof RvError)) throw error;
      unreachable = error;
    }
  }
  if (ctx.json)
    printJson(ctx.io, { leases: rows.map(jsonRow), cluster: unreachable ? clusterError(unreachable) : null });
  else render(ctx, rows, unreachable);
  return unreachable?.exitCode ?? 0;
}

function jsonRow({ id, kind, state, createdAt, where, summary }: LeaseRow): Record<string, unknown> {
  return { ...summary, id, kind, state, createdAt, where };
}

function clusterError(error: RvError): Record<string, unknown> {
  return { code: error.code, message: error.message, hint: error.hint ?? null };
}

function render(ctx: Context, leases: LeaseRow[], unreachable: RvError | undefined): void {
  if (unreachable) ctx.io.err(`rv: the cluster's leases are not listed: ${unreachable.message}\n`);
  if (leases.length === 0) {
    ctx.io.err("no leases yet: rv lease up --local (or just rv submit -- CMD)\n");
    return;
  }
  const now = ctx.now();
  const rows = leases.map(({ id, kind, state, createdAt, where, summary: s }) => {
    const live = s.runners.filter((r) => r.health === "ok" || r.health === "draining").length;
    return [
      id,
      where,
      kind,
      state === "active" && live === 0 ? "active (no runner)" : state,
      String(live),
      `${s.gpus.busy}/${s.gpus.total}`,
      String(s.counts.pending),
      String(s.counts.running),
      String(s.counts.succeeded + s.counts.failed + s.counts.cancelled),
      formatTime(ctx.io, createdAt, now),
    ];
  });
  const header = ["lease", "where", "kind", "state", "runners", "gpus", "pending", "running", "done", "created"];
  ctx.io.out(renderTable(ctx.io, header, rows));
}
