import type { Config } from "../../config/index.ts";
import { leasePaths } from "../../fsqueue/index.ts";
import {
  countByState,
  describePhase,
  type LeasePhase,
  type LeaseState,
  type RunnerView,
  readLease,
  readLeaseState,
} from "../../lease/index.ts";
import type { Context } from "../context.ts";
import { observerFor } from "../leases.ts";
import { formatDuration, paint, plural, printJson, renderTable } from "../output.ts";
import { leasesInScope } from "../scope.ts";
import { clusterJson, readClusterStatus, renderClusterStatus } from "./status-cluster.ts";

export interface LeaseSummary {
  lease: string;
  state: "active" | "released";
  runners: RunnerView[];
  counts: ReturnType<typeof countByState>;
  gpus: { total: number; busy: number; free: number };
  bad: number;
}

export function summarize(lease: string, leaseState: "active" | "released", state: LeaseState): LeaseSummary {
  const live = state.runners.filter((r) => r.health === "ok" || r.health === "draining");
  const total = live.reduce((sum, r) => sum + r.gpus.length, 0);
  const free = live.reduce((sum, r) => sum + r.freeGpus.length, 0);
  return {
    lease,
    state: leaseState,
    runners: state.runners,
    counts: countByState(state.tasks),
    gpus: { total, busy: total - free, free },
    bad: state.bad.length,
  };
}

export function readSummary(ctx: Context, config: Config, lease: string): LeaseSummary {
  const record = readLease(ctx.root, lease);
  const state = readLeaseState(leasePaths(ctx.root, lease), observerFor(ctx, config));
  return summarize(lease, record?.state ?? "active", state);
}

export function renderRunners(ctx: Context, runners: RunnerView[]): string {
  const rows = runners
    .filter((r) => r.health !== "exited")
    .map((r) => [
      `  ${r.id}`,
      r.host,
      String(r.pid),
      paint(ctx.io, r.health === "ok" ? "green" : r.health === "stale" ? "red" : "yellow", r.health),
      `${formatDuration(r.heartbeatAgeMs)} ago`,
      `${r.running} running`,
      `gpus ${r.gpus.length - r.freeGpus.length}/${r.gpus.length}`,
      `cpus ${r.cpus - r.freeCpus}/${r.cpus}`,
    ]);
  return renderTable(ctx.io, ["runner", "host", "pid", "health", "heartbeat", "tasks", "gpus", "cpus"], rows);
}

/** `phase`: a Slurm lease's phase, which stands in for the local lease's "no runner" hint. */
export function renderSummary(ctx: Context, s: LeaseSummary, phase?: LeasePhase): string {
  const c = s.counts;
  const live = s.runners.filter((r) => r.health === "ok" || r.health === "draining").length;
  const lines = [
    `${paint(ctx.io, "bold", `lease ${s.lease}`)}  ${s.state}  ${plural(live, "live runner")}  GPUs ${s.gpus.busy} busy / ${s.gpus.free} free`,
    `  tasks: ${c.pending} pending, ${c.running} running, ${c.lost} lost, ${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled${s.bad ? `; ${s.bad} bad files in bad/` : ""}`,
  ];
  if (phase) lines.push(phaseLine(ctx, s, phase));
  else if (live === 0 && s.state === "active") {
    lines.push(paint(ctx.io, "yellow", `  no runner is alive: resume with rv lease up --local --name ${s.lease}`));
  }
  return `${lines.join("\n")}\n${renderRunners(ctx, s.runners)}`;
}

function phaseLine(ctx: Context, s: LeaseSummary, phase: LeasePhase): string {
  const ended = phase.kind === "expired" || phase.kind === "failed";
  const stranded =
    ended && s.counts.pending > 0
      ? `; ${plural(s.counts.pending, "task")} will not run unless it gets more time: rv lease extend ${s.lease} --time 1h`
      : "";
  const resume = phase.kind === "paused" ? `; ask Slurm again with: rv lease resume ${s.lease}` : "";
  const line = `  ${describePhase(phase)}${stranded}${resume}`;
  if (phase.kind === "failed" || phase.kind === "paused") return paint(ctx.io, "red", line);
  return stranded || phase.kind === "retrying" ? paint(ctx.io, "yellow", line) : line;
}

export async function runStatus(
  ctx: Context,
  config: Config,
  options: { lease?: string; local?: boolean },
): Promise<number> {
  const summaries = leasesInScope(ctx, config, options.lease).map((lease) => readSummary(ctx, config, lease));
  const cluster =
    config.cluster && !options.local && !options.lease ? await readClusterStatus(ctx, config.cluster) : null;
  if (ctx.json) {
    printJson(ctx.io, { leases: summaries, cluster: cluster && clusterJson(cluster) });
  } else {
    if (summaries.length === 0 && !cluster) {
      ctx.io.out("no leases yet: rv submit -- CMD starts the local one, or rv lease up --local\n");
    }
    ctx.io.out(summaries.map((s) => renderSummary(ctx, s)).join("\n"));
    if (cluster) ctx.io.out(`${summaries.length ? "\n" : ""}${renderClusterStatus(ctx, cluster)}`);
  }
  return cluster && "error" in cluster ? cluster.error.exitCode : 0;
}
