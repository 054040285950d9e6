import { customAlphabet } from "nanoid";
import { type AllocRequest, DEFAULT_SEGMENT_SECONDS, type Decision, racerLabel } from "../../../allocator/index.ts";
import { loadConfiguredProfile } from "../../../allocator/profile/load.ts";
import type { SiteProfile } from "../../../allocator/profile/schema.ts";
import type { ClusterConfig } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import type { SlurmLease, SlurmRequest } from "../../../fsqueue/index.ts";
import { type RacerView, validateLeaseName } from "../../../lease/index.ts";
import {
  deployedPath,
  type LeaseUpPolicy,
  leaseReleaseOp,
  leaseShowOp,
  leaseUpOp,
  type PartJob,
  type Place,
  requireCluster,
} from "../../../ops/index.ts";
import { plural } from "../../../plural.ts";
import { partitionNames } from "../../../slurm/index.ts";
import { rememberClusterNames } from "../../completion/cache.ts";
import type { Context } from "../../context.ts";
import { parseCount, parseDurationMs, parseWalltime } from "../../flags.ts";
import { formatDuration, printJson } from "../../output.ts";
import { showLive } from "../../ui/live.ts";
import type { RaceState } from "../../ui/race-view.tsx";
import { renderDecision } from "./decision-view.ts";
import { describeRequest } from "./describe.ts";
import { describeWait, isReady, type WaitView } from "./wait-view.ts";

export interface SlurmLeaseUpOptions {
  partition?: string;
  gpu?: string;
  type?: string;
  vram?: string;
  nodes?: string;
  parts?: string;
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

const POLL_MS = 2000;

export interface LeaseAsk {
  ask: AllocRequest;
  policy: LeaseUpPolicy;
  /** `--parts auto`: the allocator races the lease whole against it in parts. */
  raceShapes: boolean;
}

/** Flags -> what the allocator is asked for, and the lease's renewal policy; nothing is contacted yet. */
export function requestFromFlags(
  options: SlurmLeaseUpOptions,
  cluster: ClusterConfig,
  profile: SiteProfile | null,
): LeaseAsk {
  const segmentSeconds =
    parseWalltime("--segment", options.segment) ?? profile?.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  const totalSeconds = parseWalltime("--time", options.time) ?? segmentSeconds;
  const gpus = parseCount("--gpu", options.gpu, 0) ?? 1;
  const nodes = parseCount("--nodes", options.nodes, 1) ?? null;
  if (nodes !== null && gpus % nodes !== 0) {
    throw new RvError("usage", `--gpu ${gpus} does not split evenly over --nodes ${nodes}`, {
      hint: "--gpu is the lease's GPUs in all: ask for a multiple of --nodes, or leave --nodes out and let rv choose",
    });
  }
  const parts = options.parts === "auto" ? autoParts(gpus, nodes) : parsePartsFlag(options.parts, gpus, nodes);
  const segment = Math.min(segmentSeconds, totalSeconds);
  return {
    ask: {
      gpus,
      types: parseTypes(options.type),
      minVramGb: parseCount("--vram", options.vram, 1) ?? null,
      cpus: parseCount("--cpus", options.cpus, 1) ?? null,
      memMiB: parseMemMiB(options.mem),
      totalSeconds,
      segmentSeconds: segment,
      nodes,
      partition: options.partition ?? null,
      account: options.account ?? cluster.account ?? null,
    },
    policy: {
      ...renewalPolicy(options, segment),
      idleReleaseSeconds: idleReleaseSeconds(options.idleRelease),
      watchdogPartition: cluster.watchdogPartition ?? null,
      ...(typeof parts === "number" && parts > 1 && { parts }),
    },
    raceShapes: parts === "auto",
  };
}

/** `--parts auto`: GPUs to share out, and no --nodes (each shape asks for its own). */
function autoParts(gpus: number, nodes: number | null): "auto" {
  if (gpus < 2) {
    throw new RvError("usage", `--parts auto races the lease whole against it in parts, and --gpu ${gpus} has none`, {
      hint: "ask for 2 GPUs or more, e.g. --gpu 4 --parts auto",
    });
  }
  if (nodes !== null) {
    throw new RvError("usage", "--parts auto chooses the nodes of each shape: it takes no --nodes", {
      hint: `leave --nodes out, or fix the shape: --nodes ${nodes} --parts ${nodes}`,
    });
  }
  return "auto";
}

/** `--parts N`: --gpu (and --nodes, when given) split evenly into N parts; 1 without the flag. */
function parsePartsFlag(text: string | undefined, gpus: number, nodes: number | null): number {
  const parts = parseCount("--parts", text, 1) ?? 1;
  if (parts > 1 && gpus === 0) {
    throw new RvError("usage", "--parts needs GPUs: a lease of parts shares out --gpu, and this one asks for none", {
      hint: "ask for GPUs to share, e.g. --gpu 4 --parts 2, or leave --parts out for a CPU-only lease",
    });
  }
  if (parts > 1 && gpus % parts !== 0) {
    throw new RvError("usage", `--gpu ${gpus} does not split evenly into --parts ${parts}`, {
      hint: "every part holds the same number of GPUs: ask for a multiple of --parts, e.g. --gpu 4 --parts 2",
    });
  }
  if (parts > 1 && nodes !== null && nodes % parts !== 0) {
    throw new RvError("usage", `--nodes ${nodes} does not split evenly into --parts ${parts}`, {
      hint: "--nodes counts the nodes of all the parts: ask for a multiple of --parts, or leave --nodes out",
    });
  }
  return parts;
}

/** `--type a6000,a100_80`: the GPU types (profile keys or GRES types) the lease may have. */
function parseTypes(text: string | undefined): string[] {
  if (text === undefined) return [];
  const types = text.split(",").map((t) => t.trim());
  if (types.some((t) => !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(t))) {
    throw new RvError("usage", `--type ${JSON.stringify(text)}: expected GPU types separated by commas`, {
      hint: "for example --type a6000,a100_80; rv resources lists the types the cluster has",
    });
  }
  return types;
}

/** `--mem 64G` (the lease's memory in all) in MiB. */
function parseMemMiB(text: string | undefined): number | null {
  if (text === undefined) return null;
  const match = /^(\d+)([KMGT]?)$/.exec(text);
  if (!match) throw new RvError("usage", `--mem ${JSON.stringify(text)}: expected a size like 32G or 64000M`);
  const factor = { K: 1 / 1024, "": 1, M: 1, G: 1024, T: 1024 * 1024 }[match[2] ?? ""] ?? 1;
  return Math.max(1, Math.ceil(Number(match[1]) * factor));
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

export async function runSlurmLeaseUp(ctx: Context, options: SlurmLeaseUpOptions): Promise<number> {
  return slurmLeaseUp(ctx, options, newLeaseName(options));
}

/**
 * `rv up`: the lease, then (on a terminal, unless --no-shell) a shell on its node, like salloc, except that
 * the lease outlives the shell and goes on running tasks.
 */
export async function runUp(ctx: Context, options: SlurmLeaseUpOptions & { shell?: boolean }): Promise<number> {
  const lease = newLeaseName(options);
  const exit = await slurmLeaseUp(ctx, options, lease);
  const terminal = ctx.io.isTTY && Boolean(process.stdin.isTTY) && !ctx.json;
  if (exit !== 0 || options.dryRun || options.detach || options.shell === false || !terminal) return exit;
  return (await import("../attach.ts")).runAttach(ctx, lease);
}

/**
 * A lease just for one task (`rv run --gpu N`, `rv up --run`): held for `--time` (an hour unless given), and given
 * back by itself two minutes after its task ends should nobody release it (a laptop that went to sleep).
 */
export async function upForOneTask(
  ctx: Context,
  options: SlurmLeaseUpOptions,
): Promise<{ lease: string; exit: number }> {
  const lease = newLeaseName(options);
  // Its progress on stderr as ever, but not the lease's name or JSON on stdout: stdout is the task's.
  const quiet = { ...ctx, json: false, io: { ...ctx.io, out: () => undefined } };
  const exit = await slurmLeaseUp(
    quiet,
    { time: "1h", idleRelease: "2m", ...options, detach: false, dryRun: false },
    lease,
  );
  return { lease, exit };
}

function newLeaseName(options: SlurmLeaseUpOptions): string {
  const kind = options.type?.split(",")[0] ?? options.partition ?? (options.gpu === "0" ? "cpu" : "gpu");
  return validateLeaseName(options.name ?? `${kind}-${suffix()}`);
}

async function slurmLeaseUp(ctx: Context, options: SlurmLeaseUpOptions, lease: string): Promise<number> {
  const cluster = requireCluster(ctx.config);
  const place = ctx.cluster ?? ctx.local;
  const profile = loadConfiguredProfile(ctx.root, ctx.config);
  const { ask, policy, raceShapes } = requestFromFlags(options, cluster, profile);
  const args = { lease, ask, policy, raceShapes, profile, rv: deployedPath(cluster), dryRun: options.dryRun === true };
  const up = await place.call(leaseUpOp, args);
  if (options.dryRun) return printDryRun(ctx, up);
  // The lease remembers its cluster: `--lease NAME` finds it there whichever cluster is in use (src/cli/route.ts).
  await rememberClusterNames(ctx.root, cluster.name, { more: [lease] });
  if (up.parts.length > 0) return partsSubmitted(ctx, place, lease, up.parts, options.detach === true);
  const racing = up.racers.map(
    (r) =>
      `${racerLabel({ ...r, strategyId: r.candidate.strategy.id })} (${r.jobId ? `job ${r.jobId}` : `refused: ${r.refused}`})`,
  );
  const shapes = new Set(up.racers.map((r) => r.parts)).size;
  const strategies = args.raceShapes
    ? `${plural(shapes, "shape")} in ${up.racers.length} jobs`
    : up.racers.length === 1
      ? "1 strategy"
      : `${up.racers.length} strategies`;
  note(ctx, `lease ${lease}: racing ${strategies}: ${racing.join(", ")}`);
  if (options.detach) {
    if (ctx.json) printJson(ctx.io, { lease, state: "submitted", racers: up.racers.map(racerJson) });
    else ctx.io.out(`${lease}\n`);
    return 0;
  }
  return awaitReady(ctx, place, lease);
}

/** A lease of parts was submitted: what of it, then as for a race (detach, or wait for the first runner). */
async function partsSubmitted(
  ctx: Context,
  place: Place,
  lease: string,
  parts: readonly PartJob[],
  detach: boolean,
): Promise<number> {
  const jobs = parts.map((p) => `segment ${p.segment} (job ${p.jobId})`).join(", ");
  note(ctx, `lease ${lease}: ${parts.length} parts submitted: ${jobs}`);
  if (!detach) return awaitReady(ctx, place, lease);
  if (ctx.json) printJson(ctx.io, { lease, state: "submitted", parts: parts.map(({ script: _, ...p }) => p) });
  else ctx.io.out(`${lease}\n`);
  return 0;
}

function racerJson(r: RacerView) {
  const { strategy, estimate, rank, why } = r.candidate;
  const shape = r.parts > 1 && { parts: r.parts, part: r.part };
  return { rank, ...shape, strategy, estimate, why, jobId: r.jobId, refused: r.refused, sbatchArgs: r.sbatchArgs };
}

function printDryRun(
  ctx: Context,
  up: { lease: SlurmLease; decision: Decision; racers: RacerView[]; parts: PartJob[] },
): number {
  if (ctx.json) {
    printJson(ctx.io, {
      dryRun: true,
      lease: up.lease.id,
      decision: up.decision,
      racers: up.racers.map((r) => ({ ...racerJson(r), script: r.script })),
      parts: up.parts,
    });
    return 0;
  }
  ctx.io.out(renderDecision(ctx.io, up.decision));
  for (const r of up.racers) {
    ctx.io.out(`\n# rank ${r.candidate.rank}: ${racerLabel({ ...r, strategyId: r.candidate.strategy.id })}\n`);
    ctx.io.out(`# sbatch ${r.sbatchArgs.join(" ")} <<'EOF'\n${r.script}# EOF\n`);
  }
  if (up.parts.length > 0) ctx.io.out(`\n# ${describeRequest(up.lease.request)}\n`);
  if (partitionNames(up.lease.request.partition).length > 1) {
    ctx.io.out("# each part is one job in all these partitions: Slurm starts it in whichever can start it first\n");
  }
  for (const p of up.parts) {
    ctx.io.out(`\n# part ${p.segment}: segment ${p.segment}\n`);
    ctx.io.out(`# sbatch ${p.sbatchArgs.join(" ")} <<'EOF'\n${p.script}# EOF\n`);
  }
  ctx.io.out("# nothing was submitted\n");
  return 0;
}

/**
 * Shows the lease's way to its first runner (pending and why, the estimated start, then the node) and
 * returns once that runner beats. Ctrl-C leaves the lease as it is and says how to let it go.
 */
async function awaitReady(ctx: Context, place: Place, lease: string): Promise<number> {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once("SIGINT", onInterrupt);
  const live = await showLive<RaceState>(async () => (await import("../../ui/race-view.tsx")).RaceView, ctx);
  try {
    let last = "";
    for (;;) {
      const shown = await place.call(leaseShowOp, { lease });
      if (!shown.slurm) throw new RvError("internal", `lease ${lease} came back as a local lease`);
      const view: WaitView = { ...shown.slurm, summary: shown.summary };
      const line = describeWait(view, ctx.now());
      if (live.drawn && view.race) live.update(raceState(lease, view, line, ctx.now()));
      else if (line !== last) note(ctx, line);
      last = line;
      if (isReady(view)) {
        live.done();
        if (ctx.json)
          printJson(ctx.io, {
            lease,
            state: "ready",
            race: view.race,
            segments: view.segments,
            runners: view.summary.runners,
          });
        else ctx.io.out(`${lease}\n`);
        return 0;
      }
      if (view.phase.kind === "paused") {
        throw new RvError("cluster", `lease ${lease} paused before its runner started: ${line}`, {
          hint: `each job's script and Slurm output are kept (rv lease show ${lease} --alloc); once mended: rv lease resume ${lease}`,
        });
      }
      if (shown.lease.state !== "active" || view.phase.kind === "failed" || view.phase.kind === "expired") {
        throw new RvError("cluster", `lease ${lease} ended before its runner started: ${line}`, {
          hint: `each job's script and Slurm output are kept: rv lease show ${lease} --alloc`,
        });
      }
      if (await pause(POLL_MS, stop.signal)) {
        live.done();
        return interrupted(ctx, place, lease);
      }
    }
  } finally {
    live.done();
    process.removeListener("SIGINT", onInterrupt);
  }
}

function raceState(lease: string, view: WaitView, line: string, now: Date): RaceState {
  return { rows: view.race ?? [], lease, nowEpoch: Math.floor(now.getTime() / 1000), note: line };
}

/**
 * Ctrl-C while the lease waits: on a terminal, ask whether to cancel it or leave it queued; elsewhere leave it
 * (a script's Ctrl-C must not throw away a place in the queue) and say how to let it go.
 */
async function interrupted(ctx: Context, place: Place, lease: string): Promise<number> {
  if (ctx.io.isTTY && process.stdin.isTTY && (await confirm(`cancel lease ${lease}? [y/N] `))) {
    const { leases } = await place.call(leaseReleaseOp, { leases: [lease], now: true });
    const cancelled = leases.flatMap((l) => l.cancelled);
    ctx.io.out(
      `${lease}\treleased (stopping now)${cancelled.length ? `; cancelled job ${cancelled.join(", ")}` : ""}\n`,
    );
    return 130;
  }
  note(ctx, `stopped waiting; lease ${lease} stays queued. Release it with: rv lease release ${lease} --now`);
  return 130;
}

/** A yes or no on the terminal; an empty answer is `byDefault`. */
export async function confirm(question: string, byDefault = false): Promise<boolean> {
  const { createInterface } = await import("node:readline/promises");
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = (await prompt.question(question)).trim();
    return answer === "" ? byDefault : /^y(es)?$/i.test(answer);
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
