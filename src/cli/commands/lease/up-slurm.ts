import { customAlphabet } from "nanoid";
import type { ClusterConfig, Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import type { SlurmRequest } from "../../../fsqueue/index.ts";
import { validateLeaseName } from "../../../lease/index.ts";
import type { Remote } from "../../../remote/index.ts";
import { callCluster, deployedPath } from "../../cluster/call.ts";
import { clusterRemote, requireCluster } from "../../cluster/connect.ts";
import type { LeaseUpResult } from "../../cluster/ops/lease-up.ts";
import type { LeaseViewResult } from "../../cluster/ops/lease-view.ts";
import type { Context } from "../../context.ts";
import { parseCount, parseDurationMs, parseWalltime } from "../../flags.ts";
import { formatDuration, printJson } from "../../output.ts";
import { describeRequest } from "./describe.ts";
import { describeWait, isReady } from "./wait-view.ts";

export interface SlurmLeaseUpOptions {
  partition?: string;
  gpu?: string;
  gpuType?: string;
  nodes?: string;
  cpus?: string;
  mem?: string;
  time?: string;
  segment?: string;
  renewal?: string;
  overlap?: string;
  name?: string;
  account?: string;
  dryRun?: boolean;
  detach?: boolean;
  idleRelease?: string;
}

/** Just under the 3-hour backfill cliff most sites have (notes/seed-cluster.md). */
const DEFAULT_SEGMENT_SECONDS = 2 * 3600 + 59 * 60;
const POLL_MS = 2000;

/** Flags -> the request; nothing is contacted yet. */
export function requestFromFlags(options: SlurmLeaseUpOptions, cluster: ClusterConfig): SlurmRequest {
  if (!options.partition) {
    throw new RvError("usage", "a Slurm lease needs --partition (the allocator that picks one comes later)", {
      hint: "rv resources lists the partitions and their GPUs; or --local for a lease on this machine",
    });
  }
  const segmentSeconds = parseWalltime("--segment", options.segment) ?? DEFAULT_SEGMENT_SECONDS;
  const totalSeconds = parseWalltime("--time", options.time) ?? segmentSeconds;
  if (options.mem !== undefined && !/^\d+[KMGT]?$/.test(options.mem)) {
    throw new RvError("usage", `--mem ${JSON.stringify(options.mem)}: expected a size like 32G or 64000M`);
  }
  return {
    partition: options.partition,
    gpusPerNode: parseCount("--gpu", options.gpu, 0) ?? 1,
    gpuType: options.gpuType ?? null,
    nodes: parseCount("--nodes", options.nodes, 1) ?? 1,
    cpusPerNode: parseCount("--cpus", options.cpus, 1) ?? null,
    memPerNode: options.mem ?? null,
    totalSeconds,
    segmentSeconds: Math.min(segmentSeconds, totalSeconds),
    account: options.account ?? cluster.account ?? null,
    ...renewalPolicy(options, Math.min(segmentSeconds, totalSeconds)),
    idleReleaseSeconds: idleReleaseSeconds(options.idleRelease),
  };
}

/** `--renewal` and `--overlap`: an overlap without a policy implies `overlap`; at most half a segment. */
function renewalPolicy(
  options: SlurmLeaseUpOptions,
  segmentSeconds: number,
): Pick<SlurmRequest, "renewal" | "overlapSeconds"> {
  const ms = parseDurationMs("--overlap", options.overlap);
  if (ms === undefined) return { renewal: options.renewal === "overlap" ? "overlap" : "chain" };
  if (options.renewal === "chain") {
    throw new RvError("usage", "--overlap applies to --renewal overlap, not chain", {
      hint: "drop --overlap, or use --renewal overlap",
    });
  }
  const overlapSeconds = Math.round(ms / 1000);
  if (overlapSeconds < 60 || overlapSeconds > segmentSeconds / 2) {
    throw new RvError(
      "usage",
      `--overlap ${options.overlap}: expected between 1m and half a segment (${formatDuration(Math.floor(segmentSeconds / 2) * 1000)})`,
      {
        hint: "the GPUs are held twice while two segments overlap: a few minutes cover a typical queue wait",
      },
    );
  }
  return { renewal: "overlap", overlapSeconds };
}

/** `--idle-release 30m`, in whole seconds (the runner's flag); null without the flag. */
function idleReleaseSeconds(text: string | undefined): number | null {
  const ms = parseDurationMs("--idle-release", text);
  if (ms === undefined) return null;
  if (ms < 1000) throw new RvError("usage", `--idle-release ${text}: expected at least a second, like 20s or 30m`);
  return Math.round(ms / 1000);
}

const suffix = customAlphabet("abcdefghijkmnpqrstuvwxyz23456789", 4);

export async function runSlurmLeaseUp(ctx: Context, config: Config, options: SlurmLeaseUpOptions): Promise<number> {
  return slurmLeaseUp(ctx, config, options, newLeaseName(options));
}

/**
 * `rv up`: the lease, then (on a terminal, unless --no-shell) a shell on its node, like salloc, except that
 * the lease outlives the shell and goes on running tasks.
 */
export async function runUp(
  ctx: Context,
  config: Config,
  options: SlurmLeaseUpOptions & { shell?: boolean },
): Promise<number> {
  const lease = newLeaseName(options);
  const exit = await slurmLeaseUp(ctx, config, options, lease);
  const terminal = ctx.io.isTTY && Boolean(process.stdin.isTTY) && !ctx.json;
  if (exit !== 0 || options.dryRun || options.detach || options.shell === false || !terminal) return exit;
  return (await import("../attach.ts")).runAttach(ctx, config, lease);
}

function newLeaseName(options: SlurmLeaseUpOptions): string {
  const kind = options.gpuType ?? options.partition ?? "lease";
  return validateLeaseName(options.name ?? `${kind}-${suffix()}`);
}

async function slurmLeaseUp(
  ctx: Context,
  config: Config,
  options: SlurmLeaseUpOptions,
  lease: string,
): Promise<number> {
  const cluster = requireCluster(config);
  const request = requestFromFlags(options, cluster);
  const remote = clusterRemote(ctx.root, cluster.host);
  const args = { lease, request, rv: deployedPath(cluster), dryRun: options.dryRun === true };
  const up = (await callCluster(remote, cluster, ctx.env, "lease-up", args)) as LeaseUpResult;
  if (options.dryRun) return printDryRun(ctx, up);
  note(ctx, `lease ${lease}: ${describeRequest(request)}; segment 0 is job ${up.jobId}`);
  if (options.detach) {
    if (ctx.json) printJson(ctx.io, { lease, jobId: up.jobId, state: "submitted" });
    else ctx.io.out(`${lease}\n`);
    return 0;
  }
  return awaitReady(ctx, cluster, remote, lease);
}

function printDryRun(ctx: Context, up: LeaseUpResult): number {
  if (ctx.json) {
    printJson(ctx.io, {
      dryRun: true,
      lease: up.lease.id,
      request: up.lease.request,
      sbatchArgs: up.sbatchArgs,
      script: up.script,
    });
  } else {
    ctx.io.out(`# sbatch ${up.sbatchArgs.join(" ")} <<'EOF'\n${up.script}# EOF (nothing was submitted)\n`);
  }
  return 0;
}

/**
 * Shows the lease's way to its first runner (pending and why, the estimated start, then the node) and
 * returns once that runner beats. Ctrl-C leaves the lease as it is and says how to let it go.
 */
async function awaitReady(ctx: Context, cluster: ClusterConfig, remote: Remote, lease: string): Promise<number> {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once("SIGINT", onInterrupt);
  try {
    let last = "";
    for (;;) {
      const view = (await callCluster(remote, cluster, ctx.env, "lease-view", { lease })) as LeaseViewResult;
      const line = describeWait(view, ctx.now());
      if (line !== last) note(ctx, line);
      last = line;
      if (isReady(view)) {
        if (ctx.json)
          printJson(ctx.io, { lease, state: "ready", segments: view.segments, runners: view.summary.runners });
        else ctx.io.out(`${lease}\n`);
        return 0;
      }
      if (view.lease.state !== "active" || view.segments.every((s) => s.segment.ended)) {
        throw new RvError("cluster", `lease ${lease} ended before its runner started: ${line}`, {
          hint: `the segment's Slurm output is in the lease's segments/ directory: rv lease show ${lease}`,
        });
      }
      if (await pause(POLL_MS, stop.signal)) return interrupted(ctx, cluster, lease);
    }
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}

/**
 * Ctrl-C while the lease waits: on a terminal, ask whether to cancel it or leave it queued; elsewhere leave it
 * (a script's Ctrl-C must not throw away a place in the queue) and say how to let it go.
 */
async function interrupted(ctx: Context, cluster: ClusterConfig, lease: string): Promise<number> {
  if (ctx.io.isTTY && process.stdin.isTTY && (await confirm(`cancel lease ${lease}? [y/N] `))) {
    const { releaseClusterLease } = await import("./cluster-lease.ts");
    await releaseClusterLease(ctx, cluster, lease, { now: true });
    return 130;
  }
  note(ctx, `stopped waiting; lease ${lease} stays queued. Release it with: rv lease release ${lease} --now`);
  return 130;
}

async function confirm(question: string): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    return /^y(es)?$/i.test((await prompt.question(question)).trim());
  } catch {
    return false; // Ctrl-D or a second Ctrl-C: leave it
  } finally {
    prompt.close();
  }
}

/** True when interrupted. */
function pause(ms: number, signal: AbortSignal): Promise<boolean> {
  if (signal.aborted) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    signal.addEventListener("abort", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

function note(ctx: Context, text: string): void {
  if (!ctx.json) ctx.io.err(`rv: ${text}\n`);
}
