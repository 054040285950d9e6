import { RvError } from "../../errors.ts";
import { describePhase, type LeasePhase } from "../../lease/phase.ts";
import { isLiveRunner, type RunnerView } from "../../lease/state.ts";
import type { Place } from "../../ops/places.ts";
import { type SiteStatus, statusOp } from "../../ops/status.ts";
import type { LeaseSummary } from "../../ops/summary.ts";
import { plural } from "../../plural.ts";
import { formatDuration as slurmDuration } from "../../slurm/parse/time.ts";
import { rememberClusterNames } from "../completion/cache.ts";
import type { Context } from "../context.ts";
import { parseDurationMs } from "../flags.ts";
import { type Color, cut, formatDuration, paint, printJson, renderTable } from "../output.ts";
import { isMissing, placeOfLease } from "../route.ts";

/** A gone runner (dead, its tasks recovered) is listed dim until its heartbeat is pruned: it holds nothing. */
const HEALTH_COLOR: Record<RunnerView["health"], Color> = {
  ok: "green",
  draining: "yellow",
  stale: "red",
  gone: "dim",
  exited: "yellow",
};

export function renderRunners(ctx: Context, runners: RunnerView[]): string {
  const rows = runners
    .filter((r) => r.health !== "exited")
    .map((r) => [
      `  ${r.id}`,
      r.host,
      String(r.pid),
      paint(ctx.io, HEALTH_COLOR[r.health], r.health),
      `${formatDuration(r.heartbeatAgeMs)} ago`,
      `${r.running} running`,
      `gpus ${r.gpus.length - r.freeGpus.length}/${r.gpus.length}`,
      `cpus ${r.cpus - r.freeCpus}/${r.cpus}`,
    ]);
  return renderTable(ctx.io, ["  runner", "host", "pid", "health", "heartbeat", "tasks", "gpus", "cpus"], rows);
}

/** `phase`: a Slurm lease's phase, which stands in for the local lease's "no runner" hint. */
export function renderSummary(ctx: Context, s: LeaseSummary, phase?: LeasePhase | null): string {
  const c = s.counts;
  const live = s.runners.filter(isLiveRunner).length;
  const lines = [
    `${paint(ctx.io, "bold", `lease ${s.lease}`)}  ${s.state}  ${plural(live, "live runner")}  GPUs ${s.gpus.busy} busy / ${s.gpus.free} free`,
    `  tasks: ${c.pending} pending, ${c.running} running, ${c.lost} lost, ${c.succeeded} succeeded, ${c.failed} failed, ${c.cancelled} cancelled${c.unknown ? `, ${c.unknown} unknown` : ""}${s.bad ? `; ${s.bad} bad files in bad/` : ""}`,
  ];
  if (s.tooLarge.length > 0) lines.push(paint(ctx.io, "yellow", tooLargeLine(s)));
  if (phase) lines.push(phaseLine(ctx, s, phase));
  else if (live === 0 && s.state === "active") {
    lines.push(paint(ctx.io, "yellow", `  no runner is alive: resume with rv lease up --local --name ${s.lease}`));
  }
  return `${lines.join("\n")}\n${renderRunners(ctx, s.runners)}`;
}

/** `  2 tasks wait for a runner larger than any the lease has: AB12, CD34 (...)`. */
function tooLargeLine(s: LeaseSummary): string {
  const shown = s.tooLarge.slice(0, 5).join(", ") + (s.tooLarge.length > 5 ? ", ..." : "");
  return `  ${plural(s.tooLarge.length, "task")} wait${s.tooLarge.length === 1 ? "s" : ""} for a runner larger than any the lease has: ${shown} (each asks for more GPUs or CPUs than one runner holds; rv cancel, or submit to a larger lease)`;
}

function phaseLine(ctx: Context, s: LeaseSummary, phase: LeasePhase): string {
  const ended = phase.kind === "expired" || phase.kind === "failed";
  const stranded =
    ended && (s.counts.pending ?? 0) > 0
      ? `; ${plural(s.counts.pending ?? 0, "task")} will not run unless it gets more time: rv lease extend ${s.lease} --time 1h`
      : "";
  const resume = phase.kind === "paused" ? `; ask Slurm again with: rv lease resume ${s.lease}` : "";
  const line = `  ${describePhase(phase)}${stranded}${resume}`;
  if (phase.kind === "failed" || phase.kind === "paused") return paint(ctx.io, "red", line);
  return stranded || phase.kind === "retrying" ? paint(ctx.io, "yellow", line) : line;
}

/** A cluster's part of `rv status`: one round trip, or the reason it failed (the rest of the screen still shows). */
type ClusterStatus =
  | { place: Place; roundTripMs: number; leases: LeaseSummary[]; site: SiteStatus }
  | { place: Place; error: RvError };

/** How long `rv status` waits for each cluster unless told: one slow cluster must not hold the others' screen. */
const CLUSTER_STATUS_TIMEOUT_MS = 20_000;

async function readClusterStatus(ctx: Context, place: Place, timeoutMs: number): Promise<ClusterStatus> {
  const started = performance.now();
  try {
    const account = ctx.config.clusters[place.name]?.account ?? null;
    const { leases, site } = await place.call(statusOp, { slurm: true, account }, { timeoutMs });
    if (!site) throw new RvError("internal", "the cluster's status came back without the site");
    await rememberClusterNames(ctx.root, place.name, { more: leases.map((lease) => lease.lease) });
    return { place, roundTripMs: Math.round(performance.now() - started), leases, site };
  } catch (error) {
    if (!isMissing(place, error)) throw error;
    return { place, error };
  }
}

/** How rv reaches the cluster: the ssh host it connects to. */
function viaOf(ctx: Context, c: ClusterStatus): string {
  return ctx.config.clusters[c.place.name]?.host ?? c.place.where;
}

function clusterJson(ctx: Context, c: ClusterStatus): Record<string, unknown> {
  const name = c.place.name;
  const via = viaOf(ctx, c);
  const inUse = name === ctx.config.cluster?.name;
  if ("error" in c) return { name, via, inUse, connected: false, error: c.error.toRecord() };
  return { name, via, inUse, connected: true, roundTripMs: c.roundTripMs, ...c.site, leases: c.leases };
}

function renderClusterStatus(ctx: Context, c: ClusterStatus): string {
  const inUse = ctx.clusters.length > 1 && c.place.name === ctx.config.cluster?.name ? " (in use)" : "";
  const title = paint(ctx.io, "bold", `cluster ${c.place.name}${inUse}`);
  if ("error" in c) {
    const hint = c.error.hint ? `\n  hint: ${c.error.hint}` : "";
    return `${title}  ${paint(ctx.io, "red", "not connected")}: ${c.error.message}${hint}\n`;
  }
  const s = c.site;
  const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(0)} GiB`;
  const fairShare = s.account?.fairShare;
  const leases = c.leases.map((l) => `${l.lease} (${l.counts.running} running, ${l.counts.pending} pending)`);
  const lines = [
    `${title}  ${s.user}@${s.host} via ${viaOf(ctx, c)}  ${paint(ctx.io, "green", "connected")} (${c.roundTripMs} ms)`,
    `  account: ${s.account ? `${s.account.name}, fairshare ${fairShare ?? "-"}` : "no association found (sshare)"}`,
    `  storage: ${gib(s.storage.freeBytes)} free of ${gib(s.storage.totalBytes)} at ${s.storage.root}`,
    `  leases: ${leases.length ? leases.join(", ") : "none"}`,
    `  jobs:${s.jobs.length ? "" : " none"}`,
  ];
  const jobs = renderTable(
    ctx.io,
    ["  job", "name", "partition", "state", "time", "left", "nodes/reason"],
    s.jobs.map((j) => [
      `  ${j.jobId}`,
      cut(j.name ?? "-"),
      j.partition ?? "-",
      j.state.kind,
      j.elapsed?.kind === "seconds" ? formatDuration(j.elapsed.seconds * 1000) : "-",
      j.timeLeft?.kind === "seconds" ? slurmDuration(j.timeLeft.seconds) : "-",
      j.nodes.length ? j.nodes.join(",") : (j.reason ?? "-"),
    ]),
  );
  const gpus = s.pools.map((p) => `${p.type} ${p.idle}/${p.total} idle`).join(", ");
  return `${lines.join("\n")}\n${jobs}  GPUs: ${gpus || "none"}\n`;
}

/**
 * `rv status`: this machine's leases at a glance and every configured cluster's (its leases, account, storage,
 * jobs and GPUs), all asked at once, one round trip and one timeout each; `--cluster NAME` for one cluster,
 * `--local` for none. A named lease, wherever it lives.
 */
export async function runStatus(
  ctx: Context,
  options: { lease?: string; local?: boolean; timeout?: string },
): Promise<number> {
  if (options.lease) {
    const place = placeOfLease(ctx, options.lease);
    const { leases } = await place.call(statusOp, { lease: options.lease });
    if (ctx.json) printJson(ctx.io, { leases, clusters: [] });
    else ctx.io.out(leases.map((s) => renderSummary(ctx, s)).join("\n"));
    return 0;
  }
  const timeoutMs = parseDurationMs("--timeout", options.timeout) ?? CLUSTER_STATUS_TIMEOUT_MS;
  const [local, ...clusters] = await Promise.all([
    ctx.local.call(statusOp, {}),
    ...clustersToShow(ctx, options).map((place) => readClusterStatus(ctx, place, timeoutMs)),
  ]);
  if (ctx.json) {
    printJson(ctx.io, { leases: local.leases, clusters: clusters.map((c) => clusterJson(ctx, c)) });
    return 0;
  }
  if (local.leases.length === 0 && clusters.length === 0) {
    ctx.io.out("no leases yet: rv submit -- CMD starts the local one, or rv lease up --local\n");
  }
  const blocks = [
    ...local.leases.map((s) => renderSummary(ctx, s)),
    ...clusters.map((c) => renderClusterStatus(ctx, c)),
  ];
  ctx.io.out(blocks.join("\n"));
  return 0;
}

function clustersToShow(ctx: Context, options: { local?: boolean }): Place[] {
  if (options.local) return [];
  if (ctx.clusterNamed) return ctx.cluster ? [ctx.cluster] : [];
  return ctx.clusters;
}
