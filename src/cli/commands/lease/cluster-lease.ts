import type { ClusterConfig } from "../../../config/index.ts";
import { isFinished } from "../../../slurm/index.ts";
import { callCluster } from "../../cluster/call.ts";
import { clusterRemote } from "../../cluster/connect.ts";
import type { LeaseReleaseResult } from "../../cluster/ops/lease-release.ts";
import type { LeaseViewResult, SegmentView } from "../../cluster/ops/lease-view.ts";
import type { Context } from "../../context.ts";
import { formatDuration, plural, printJson, renderTable } from "../../output.ts";
import { renderSummary } from "../status.ts";
import { describeRequest } from "./describe.ts";
import { renderRace, renderRaceFiles } from "./race-text.ts";

const WAIT_POLL_MS = 2000;

/**
 * `rv lease show L` for a lease on the cluster: the request, the race for its first segment, each segment as
 * Slurm saw it, the gaps. `alloc`: also the allocator's decision and every racing job's script and output.
 */
export async function showClusterLease(
  ctx: Context,
  cluster: ClusterConfig,
  lease: string,
  options: { alloc?: boolean } = {},
): Promise<number> {
  const remote = clusterRemote(ctx.root, cluster.host);
  const args = { lease, alloc: options.alloc === true };
  const view = (await callCluster(remote, cluster, ctx.env, "lease-view", args)) as LeaseViewResult;
  const renewals = renewalSeconds(view.segments);
  if (ctx.json) {
    const gapsSeconds = renewals.map((s) => (s === null ? null : Math.max(0, s)));
    const overlapsSeconds = renewals.map((s) => (s === null ? null : Math.max(0, -s)));
    const { lease, segments, phase, timeLeftSeconds, race, alloc } = view;
    const allocation = options.alloc ? { alloc } : {};
    printJson(ctx.io, {
      ...view.summary,
      lease,
      phase,
      timeLeftSeconds,
      race,
      ...allocation,
      segments,
      gapsSeconds,
      overlapsSeconds,
    });
    return 0;
  }
  ctx.io.out(renderSummary(ctx, view.summary, view.phase));
  ctx.io.out(`  ${describeRequest(view.lease.request)}; created ${view.lease.createdAt} on ${view.lease.host}\n`);
  if (view.timeLeftSeconds > 0) ctx.io.out(`  time left: ${formatDuration(view.timeLeftSeconds * 1000)}\n`);
  const rows = view.segments.map(({ segment, job }, i) => [
    `  ${segment.n}`,
    segment.jobId,
    job.state?.raw ?? segment.ended?.state ?? "-",
    job.nodes.join(",") || job.reason || "-",
    formatDuration(segment.wallSeconds * 1000),
    describeRenewal(i === 0 ? null : (renewals[i - 1] ?? null)),
  ]);
  if (view.race && (view.segments.length === 0 || options.alloc)) {
    ctx.io.out(renderRace(ctx.io, view.race, Math.floor(ctx.now().getTime() / 1000)));
  }
  ctx.io.out(renderTable(ctx.io, ["  segment", "job", "state", "nodes/reason", "wall", "gap"], rows));
  if (view.alloc) ctx.io.out(`\n${renderRaceFiles(ctx.io, view.alloc)}`);
  return 0;
}

/** A gap with no segment running, or the time two segments overlapped (overlap renewal). */
function describeRenewal(seconds: number | null): string {
  if (seconds === null) return "-";
  return seconds < 0 ? `overlap ${-seconds}s` : `${seconds}s`;
}

/**
 * Seconds from one segment's end to the next one's start, as Slurm recorded them: a gap when positive, an
 * overlap when negative; null while not known.
 */
export function renewalSeconds(segments: readonly SegmentView[]): (number | null)[] {
  return segments.slice(1).map((next, i) => {
    const prev = segments[i];
    const end = prev?.job.end?.kind === "at" && prev.segment.ended ? prev.job.end.epoch : null;
    const start = next.job.start?.kind === "at" && next.job.state?.kind !== "pending" ? next.job.start.epoch : null;
    return end !== null && start !== null ? start - end : null;
  });
}

export async function releaseClusterLease(
  ctx: Context,
  cluster: ClusterConfig,
  lease: string,
  options: { now: boolean; wait?: boolean },
): Promise<number> {
  const remote = clusterRemote(ctx.root, cluster.host);
  const args = { lease, now: options.now };
  const result = (await callCluster(remote, cluster, ctx.env, "lease-release", args)) as LeaseReleaseResult;
  if (options.wait) await untilJobsEnd(ctx, cluster, lease);
  if (ctx.json) printJson(ctx.io, { ...result });
  else {
    const jobs = result.cancelled.length ? `; cancelled job ${result.cancelled.join(", ")}` : "";
    ctx.io.out(`${lease}\treleased (${result.mode === "stop" ? "stopping now" : "draining"})${jobs}\n`);
  }
  return 0;
}

/**
 * `--wait`: until Slurm holds no job of the lease (a draining runner ends its job when its last task ends).
 * Each look goes through lease-view, which also cancels segments still queued.
 */
async function untilJobsEnd(ctx: Context, cluster: ClusterConfig, lease: string): Promise<void> {
  const remote = clusterRemote(ctx.root, cluster.host);
  let said = "";
  for (;;) {
    const view = (await callCluster(remote, cluster, ctx.env, "lease-view", { lease })) as LeaseViewResult;
    const alive = [
      ...view.segments
        .filter(({ job }) => job.state !== null && !isFinished(job.state.kind))
        .map((s) => s.segment.jobId),
      ...(view.race ?? []).filter((r) => r.state === "pending" || r.state === "starting").flatMap((r) => r.jobId ?? []),
    ];
    if (alive.length === 0) return;
    const line = `waiting for job ${alive.join(", ")} to end (${plural(view.summary.counts.running, "task")} running)`;
    if (line !== said) ctx.io.err(`rv: ${line}\n`);
    said = line;
    await new Promise((resolve) => setTimeout(resolve, WAIT_POLL_MS));
  }
}
