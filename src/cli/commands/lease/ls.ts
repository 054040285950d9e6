import type { Config } from "../../../config/index.ts";
import { listLeases } from "../../../lease/index.ts";
import type { Context } from "../../context.ts";
import { formatTime, printJson, renderTable } from "../../output.ts";
import { readSummary } from "../status.ts";

export async function runLeaseLs(ctx: Context, config: Config): Promise<number> {
  const leases = listLeases(ctx.root).map((lease) => ({ lease, summary: readSummary(ctx, config, lease.id) }));
  if (ctx.json) {
    printJson(ctx.io, {
      leases: leases.map(({ lease: { v: _version, ...record }, summary }) => ({ ...record, ...summary })),
    });
    return 0;
  }
  if (leases.length === 0) {
    ctx.io.err("no leases yet: rv lease up --local (or just rv submit -- CMD)\n");
    return 0;
  }
  const now = ctx.now();
  const rows = leases.map(({ lease, summary: s }) => {
    const live = s.runners.filter((r) => r.health === "ok" || r.health === "draining").length;
    return [
      lease.id,
      lease.kind,
      lease.state === "active" && live === 0 ? "active (no runner)" : lease.state,
      String(live),
      `${s.gpus.busy}/${s.gpus.total}`,
      String(s.counts.pending),
      String(s.counts.running),
      String(s.counts.succeeded + s.counts.failed + s.counts.cancelled),
      formatTime(ctx.io, lease.createdAt, now),
    ];
  });
  ctx.io.out(
    renderTable(ctx.io, ["lease", "kind", "state", "runners", "gpus", "pending", "running", "done", "created"], rows),
  );
  return 0;
}
