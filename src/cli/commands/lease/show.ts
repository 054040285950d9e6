import { type PartNow, partOf, partsNow, partsOf, renewalSeconds, type SegmentView } from "../../../lease/index.ts";
import { type LeaseShow, leaseShowOp } from "../../../ops/index.ts";
import { partitionNames } from "../../../slurm/index.ts";
import type { Context } from "../../context.ts";
import { formatDuration, formatTime, printJson, renderTable } from "../../output.ts";
import { placeOfLease } from "../../route.ts";
import { renderSummary } from "../status.ts";
import { describeRequest } from "./describe.ts";
import { renderRace, renderRaceFiles } from "./race-text.ts";

/**
 * `rv lease show L`, wherever L lives: its runners and tasks; for a Slurm lease also the request, the race for its
 * first segment, each segment as Slurm saw it and the gaps. `alloc`: also the allocator's decision and every racing
 * job's script and output.
 */
export async function runLeaseShow(ctx: Context, id: string, options: { alloc?: boolean } = {}): Promise<number> {
  const shown = await placeOfLease(ctx, id).call(leaseShowOp, { lease: id, alloc: options.alloc === true });
  if (ctx.json) printJson(ctx.io, showJson(shown, options.alloc === true));
  else ctx.io.out(renderShow(ctx, shown, options.alloc === true));
  return 0;
}

function showJson({ lease, summary, slurm }: LeaseShow, alloc: boolean): Record<string, unknown> {
  const { v: _version, ...record } = lease;
  if (!slurm) return { ...summary, lease: record };
  const parts = lease.kind === "slurm" ? partsOf(lease) : 1;
  const renewals = renewalSeconds(slurm.segments, parts);
  const { segments, phase, timeLeftSeconds, race, due, supervision } = slurm;
  return {
    ...summary,
    lease: record,
    phase,
    timeLeftSeconds,
    race,
    due,
    supervision,
    ...(alloc && { alloc: slurm.alloc }),
    ...(parts > 1 && { parts: partsNow(segments, parts) }),
    segments,
    gapsSeconds: renewals.map((s) => (s === null ? null : Math.max(0, s))),
    overlapsSeconds: renewals.map((s) => (s === null ? null : Math.max(0, -s))),
  };
}

/** When the lease was made: "5m ago" at a terminal, the ISO time in a pipe, as in rv lease ls. */
function created(ctx: Context, lease: { createdAt: string }): string {
  return formatTime(ctx.io, lease.createdAt, ctx.now());
}

function renderShow(ctx: Context, { lease, summary, slurm }: LeaseShow, alloc: boolean): string {
  if (lease.kind === "local" || !slurm) {
    const resources =
      lease.kind === "local"
        ? [
            lease.gpuIds ? `gpu ids ${lease.gpuIds.join(",")}` : "gpus detected by the runner",
            lease.cpus ? `${lease.cpus} cpus` : "cpus detected by the runner",
          ]
        : [describeRequest(lease.request)];
    const line = `  kind ${lease.kind} on ${lease.host}; ${resources.join("; ")}; created ${created(ctx, lease)}\n`;
    return renderSummary(ctx, summary) + line;
  }
  const parts = [
    renderSummary(ctx, summary, slurm.phase),
    `  ${describeRequest(lease.request)}\n`,
    `  created ${created(ctx, lease)} on ${lease.host}`,
    slurm.timeLeftSeconds > 0 ? `; time left: ${formatDuration(slurm.timeLeftSeconds * 1000)}\n` : "\n",
  ];
  if (slurm.race && (slurm.segments.length === 0 || alloc)) {
    parts.push(renderRace(ctx.io, slurm.race, Math.floor(ctx.now().getTime() / 1000)));
  }
  const count = partsOf(lease);
  const spread = partitionNames(lease.request.partition).length > 1;
  if (count > 1) parts.push(renderParts(partsNow(slurm.segments, count), count, spread));
  parts.push(renderSegments(ctx, slurm.segments, count));
  parts.push(renderSupervision(slurm));
  if (slurm.alloc) parts.push(`\n${renderRaceFiles(ctx.io, slurm.alloc)}`);
  return parts.join("");
}

/**
 * `  parts: 2; part 0: segment 2 (job 44) RUNNING; part 1: segment 3 (job 45) PENDING`; a lease spread over
 * partitions says where each part is: `RUNNING in gpu-a100-80`.
 */
function renderParts(now: readonly PartNow[], count: number, spread: boolean): string {
  const each = now.map((p) => {
    const where = spread && p.partition ? ` in ${p.partition}` : "";
    return `part ${p.part}: segment ${p.segment} (job ${p.jobId}) ${p.state ?? "unknown to Slurm"}${where}`;
  });
  return `  parts: ${count}; ${each.join("; ")}\n`;
}

function renderSegments(ctx: Context, segments: SegmentView[], parts: number): string {
  const renewals = renewalSeconds(segments, parts);
  const rows = segments.map(({ segment, job }, i) => [
    `  ${segment.n}${parts > 1 ? ` (part ${partOf(segment.n, parts)})` : ""}`,
    segment.jobId,
    job.state?.raw ?? segment.ended?.state ?? "-",
    job.nodes.join(",") || job.reason || "-",
    formatDuration(segment.wallSeconds * 1000),
    describeRenewal(i === 0 ? null : (renewals[i - 1] ?? null)),
    describeWatchdog(segment.watchdog),
  ]);
  return renderTable(ctx.io, ["  segment", "job", "state", "nodes/reason", "wall", "gap", "watchdog"], rows);
}

function describeWatchdog(watchdog: SegmentView["segment"]["watchdog"]): string {
  if (!watchdog) return "-";
  return "jobId" in watchdog ? watchdog.jobId : `none (Slurm refused it: ${watchdog.refused})`;
}

/** What the supervisor did, newest last, and what it is yet to do. */
function renderSupervision({ supervision, due }: NonNullable<LeaseShow["slurm"]>): string {
  const lines = supervision.map((e) => `    ${e.at.slice(0, 19).replace("T", " ")}  ${e.did}  (${e.by})\n`);
  if (due) lines.push(`    due: ${due.acts.join("; ")}\n`);
  return lines.length > 0 ? `  supervision:\n${lines.join("")}` : "";
}

/** A gap with no segment running, or the time two segments overlapped (overlap renewal). */
function describeRenewal(seconds: number | null): string {
  if (seconds === null) return "-";
  return seconds < 0 ? `overlap ${-seconds}s` : `${seconds}s`;
}
