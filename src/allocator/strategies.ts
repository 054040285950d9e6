import {
  gresCount,
  holdsAllocation,
  nodeAcceptsJobs,
  parseTres,
  partitionNames,
  type ScontrolNode,
  type ScontrolPartition,
  type SqueueJob,
  summarizeGpus,
} from "../slurm/index.ts";
import type { ProfileGpu, SiteProfile } from "./profile/schema.ts";
import { fitAroundReservations, MIN_SEGMENT_SECONDS } from "./reservations.ts";
import type { AllocRequest, Candidate, ClusterState, Strategy } from "./schema.ts";

/** Just under the seed cluster's backfill cliff (notes/seed-cluster.md): jobs of ~3 h or less backfill in minutes. */
export const DEFAULT_SEGMENT_SECONDS = 2 * 3600 + 59 * 60;
/** A `--time-min` below this would win holes too short to be worth a segment. */
const MIN_TIME_MIN_SECONDS = 30 * 60;

/** A partition's GPUs of one type (or its CPUs, for a CPU-only lease), with the profile's facts when it has them. */
interface Pool {
  partition: ScontrolPartition;
  /** null: untyped GPUs, or a CPU-only pool. */
  gpuType: string | null;
  /** The name in strategy ids and reasons: the profile key, else the GRES type. */
  label: string;
  kind: Strategy["kind"];
  gpu: ProfileGpu | null;
  /** The most GPUs of the type on one node of the pool. */
  largestNode: number;
}

interface Topology {
  nodes: number;
  gpusPerNode: number;
}

interface Walltime {
  wallSeconds: number;
  timeMinSeconds: number | null;
}

/** A strategy and why it cannot be used (null: it can). */
interface Verdict {
  strategy: Strategy;
  why: string | null;
}

/**
 * Every way to ask Slurm for the request that the cluster and the profile allow, and every way ruled out with
 * the reason. Pools come from the cluster; the profile only adds VRAM, SU rates, kinds and limits.
 */
export function generateStrategies(
  request: AllocRequest,
  state: ClusterState,
  profile: SiteProfile | null,
): { strategies: Strategy[]; dropped: Candidate[] } {
  const pools = request.gpus === 0 ? cpuPools(request, state) : gpuPools(state, profile);
  const verdicts = pools.flatMap((pool) => poolVerdicts(request, state, profile, pool));
  return {
    strategies: verdicts.flatMap((v) => (v.why === null ? [v.strategy] : [])),
    dropped: verdicts.flatMap((v) => (v.why === null ? [] : [droppedCandidate(v.strategy, v.why)])),
  };
}

function droppedCandidate(strategy: Strategy, why: string): Candidate {
  return { strategy, estimate: null, probe: null, rank: null, kept: false, why };
}

function gpuPools(state: ClusterState, profile: SiteProfile | null): Pool[] {
  // only the pools are wanted here: the queue is the backfill estimate's business
  const summary = summarizeGpus({ partitions: state.partitions, nodes: state.nodes, pending: [] });
  const typeCounts = new Map<string, number>();
  for (const p of summary) typeCounts.set(p.type, (typeCounts.get(p.type) ?? 0) + 1);
  return summary.flatMap(({ partition: name, type }) => {
    const partition = state.partitions.find((p) => p.name === name);
    if (!partition) return [];
    const gpu = profile?.gpus.find((g) => g.partition === name && g.gres === type) ?? null;
    const gpuType = type === "gpu" ? null : type; // summarizeGpus names untyped GPUs "gpu"
    const ambiguous = (typeCounts.get(type) ?? 0) > 1;
    const label = gpu?.key ?? (ambiguous ? `${type}@${name}` : type);
    const largestNode = Math.max(0, ...nodesOf(partition, state).map((n) => gpusOn(n.gres, gpuType)));
    return [{ partition, gpuType, label, kind: gpu?.kind ?? "gpu", gpu, largestNode }];
  });
}

/** A CPU-only lease asks the partition named, else the cluster's default one. */
function cpuPools(request: AllocRequest, state: ClusterState): Pool[] {
  const partition = state.partitions.find((p) =>
    request.partition === null ? p.isDefault : p.name === request.partition,
  );
  if (!partition) return [];
  return [{ partition, gpuType: null, label: "cpu", kind: "cpu", gpu: null, largestNode: 0 }];
}

function poolVerdicts(request: AllocRequest, state: ClusterState, profile: SiteProfile | null, pool: Pool): Verdict[] {
  const times = walltimes(request, pool, profile);
  const shapes = topologies(request);
  const [first, plain] = [shapes[0], times[0]];
  if (!first || !plain) return []; // there is always one of each
  const refusal = poolRefusal(request, state, profile, pool);
  if (refusal !== null) return [{ strategy: strategyOf(request, pool, first, plain), why: refusal }];
  return shapes.flatMap((shape): Verdict[] => {
    const strategy = strategyOf(request, pool, shape, plain);
    const why = topologyRefusal(request, state, pool, strategy);
    if (why !== null) return [{ strategy, why }];
    const whole = times.map((time) => ({ strategy: strategyOf(request, pool, shape, time), why: null }));
    return [...whole, ...beforeReservation(request, state, pool, shape, strategy)];
  });
}

/**
 * The shape with a walltime that ends before the next reservation on its nodes, when the whole walltime would
 * reach into it and a useful segment still fits before it: this one may start now, where the whole one waits
 * until the reservation is over (ranking keeps whichever starts first). The lease's later segments ask for the
 * whole walltime again (`endsBefore.segmentSeconds`).
 */
function beforeReservation(
  request: AllocRequest,
  state: ClusterState,
  pool: Pool,
  shape: Topology,
  whole: Strategy,
): Verdict[] {
  const fit = fitAroundReservations({
    fromEpoch: state.nowEpoch,
    wallSeconds: whole.wallSeconds,
    minSeconds: MIN_SEGMENT_SECONDS,
    nodes: nodesFor(whole, state).map((n) => n.name),
    count: whole.nodes,
    reservations: state.reservations,
  });
  if (!fit?.endsBefore || fit.startEpoch !== state.nowEpoch) return [];
  const strategy = strategyOf(request, pool, shape, { wallSeconds: fit.wallSeconds, timeMinSeconds: null });
  return [
    { strategy: { ...strategy, endsBefore: { ...fit.endsBefore, segmentSeconds: whole.wallSeconds } }, why: null },
  ];
}

/** 1 x N, 2 x N/2, 4 x N/4 ... (even splits only), or the node count the request names. */
function topologies(request: AllocRequest): Topology[] {
  const perNode = (nodes: number) => Math.ceil(request.gpus / nodes);
  if (request.nodes !== null) return [{ nodes: request.nodes, gpusPerNode: perNode(request.nodes) }];
  const shapes: Topology[] = [];
  for (let nodes = 1; nodes <= Math.max(1, request.gpus); nodes *= 2) {
    if (request.gpus % nodes === 0) shapes.push({ nodes, gpusPerNode: perNode(nodes) });
  }
  return shapes;
}

/**
 * The segment walltime, capped by the lease's total and the pool's longest job (the partition's MaxTime, the
 * profile's limit); and the same with a `--time-min` (a quarter of it, at least 30 minutes) so that Slurm may
 * shorten the job into a backfill hole. A pool with a shorter limit (interactive) just gets shorter segments: the
 * lease renews them. MaxTime=UNLIMITED caps nothing, so `--time` is always the lease's own, finite, length.
 */
function walltimes(request: AllocRequest, pool: Pool, profile: SiteProfile | null): Walltime[] {
  const segment = request.segmentSeconds ?? profile?.segmentSeconds ?? DEFAULT_SEGMENT_SECONDS;
  const maxTime = pool.partition.maxTime?.kind === "seconds" ? pool.partition.maxTime.seconds : Infinity;
  const wallSeconds = Math.min(segment, request.totalSeconds, maxTime, pool.gpu?.maxWalltimeSeconds ?? Infinity);
  const timeMinSeconds = Math.max(MIN_TIME_MIN_SECONDS, Math.round(wallSeconds / 4 / 60) * 60);
  const plain = { wallSeconds, timeMinSeconds: null };
  return timeMinSeconds < wallSeconds ? [plain, { wallSeconds, timeMinSeconds }] : [plain];
}

function strategyOf(request: AllocRequest, pool: Pool, shape: Topology, time: Walltime): Strategy {
  const { nodes, gpusPerNode } = shape;
  return {
    id: strategyId(pool.label, shape, time),
    partition: pool.partition.name,
    gpuType: pool.gpuType,
    profileKey: pool.gpu?.key ?? null,
    kind: pool.kind,
    nodes,
    gpusPerNode,
    cpusPerNode: request.cpus === null ? null : Math.ceil(request.cpus / nodes),
    memPerNode: request.memMiB === null ? null : memText(Math.ceil(request.memMiB / nodes)),
    ...time,
    vramGb: pool.gpu?.vramGb ?? null,
    suPerGpuHour: pool.gpu?.suPerGpuHour ?? null,
  };
}

function strategyId(label: string, shape: Topology, time: Walltime): string {
  const min = time.timeMinSeconds === null ? "" : `-min${durationText(time.timeMinSeconds)}`;
  return `${label}:${shape.nodes}x${shape.gpusPerNode}:${durationText(time.wallSeconds)}${min}`;
}

/** Compact for ids and reasons: `2h59m`, `45m`, `1d12h`, `90s` -> `1m30s`. */
export function durationText(seconds: number): string {
  if (!Number.isFinite(seconds)) return "ever";
  const s = Math.max(0, Math.round(seconds));
  const parts: [number, string][] = [
    [Math.floor(s / 86400), "d"],
    [Math.floor((s % 86400) / 3600), "h"],
    [Math.floor((s % 3600) / 60), "m"],
    [s % 60, "s"],
  ];
  const text = parts.flatMap(([n, unit]) => (n > 0 ? [`${n}${unit}`] : [])).join("");
  return text === "" ? "0s" : text;
}

/** Slurm's `--mem` text: whole gigabytes as `G`, the rest in megabytes. */
function memText(mib: number): string {
  return mib % 1024 === 0 ? `${mib / 1024}G` : `${mib}M`;
}

/** MiB in a `--mem` text (`32G`, `32000M`, `500`), read as Slurm reads TRES memory. */
export function memMiBOf(memPerNode: string | null): number | null {
  return memPerNode === null ? null : parseTres(`mem=${memPerNode}`).memMiB;
}

/** Why the whole pool is out, before any topology: the partition or type asked, VRAM, MIG, per-job and user limits. */
function poolRefusal(
  request: AllocRequest,
  state: ClusterState,
  profile: SiteProfile | null,
  pool: Pool,
): string | null {
  const name = poolName(pool);
  if (request.partition !== null && request.partition !== pool.partition.name) {
    return `${name}: you asked for partition ${request.partition}`;
  }
  const typed = request.types.length > 0 && pool.kind !== "cpu";
  if (typed && !request.types.some((t) => t === pool.gpu?.key || t === pool.gpuType)) {
    return `${name}: not among the types asked (${request.types.join(", ")})`;
  }
  const vram = pool.gpu?.vramGb ?? null;
  if (request.minVramGb !== null && vram !== null && vram < request.minVramGb) {
    return `${name}: ${vram} GB of VRAM, you need ${request.minVramGb}`;
  }
  if (pool.kind === "mig" && request.gpus !== 1) {
    return `${name}: a MIG slice is for 1-GPU work, you asked for ${request.gpus}`;
  }
  const perJob = pool.gpu?.maxPerJob ?? null;
  if (perJob !== null && request.gpus > perJob)
    return `${name}: at most ${perJob} GPUs per job, you asked for ${request.gpus}`;
  return userLimitRefusal(request, state, profile, pool);
}

function poolName(pool: Pool): string {
  return pool.kind === "cpu" ? pool.partition.name : `${pool.label} in ${pool.partition.name}`;
}

/** Limits count the user's GPUs running and pending: a pending job runs into the same limit when it starts. */
function userLimitRefusal(
  request: AllocRequest,
  state: ClusterState,
  profile: SiteProfile | null,
  pool: Pool,
): string | null {
  const name = poolName(pool);
  const { asked, note } = askedOfLimits(request);
  const perUser = pool.gpu?.maxPerUser ?? null;
  if (perUser !== null) {
    const mine = userGpus(state, pool.gpuType, (partitions) => partitions.includes(pool.partition.name));
    if (mine + asked > perUser) return `${name}: per-user limit ${perUser}, you run ${mine}${note}`;
  }
  const overall = profile?.maxGpusPerUser ?? null;
  if (overall === null || pool.kind !== "gpu") return null;
  const gpuPartitions = new Set(profile?.gpus.flatMap((g) => (g.kind === "gpu" ? [g.partition] : [])));
  const mine = userGpus(state, null, (partitions) => partitions.some((p) => gpuPartitions.has(p)));
  if (mine + asked <= overall) return null;
  return `${name}: at most ${overall} GPUs per user across the GPU partitions, you run ${mine}${note}`;
}

/** The GPUs a request adds to the user's count: every part's, for a lease of parts (and words saying so). */
function askedOfLimits(request: AllocRequest): { asked: number; note: string } {
  const parts = request.parts ?? 1;
  const asked = request.gpus * parts;
  return { asked, note: parts > 1 ? `, and ${parts} parts of ${request.gpus} ask ${asked}` : "" };
}

function userGpus(state: ClusterState, gpuType: string | null, inScope: (partitions: string[]) => boolean): number {
  let total = 0;
  for (const job of state.jobs) {
    const live = job.state.kind === "pending" || holdsAllocation(job.state.kind);
    if (job.user !== state.user || !live || !inScope(partitionsOf(job))) continue;
    total += jobGpusPerNode(job, gpuType) * (job.nodeCount ?? 1);
  }
  return total;
}

/** Why a topology cannot run in the pool: a node holds fewer GPUs, or too few nodes can hold one node's share. */
function topologyRefusal(request: AllocRequest, state: ClusterState, pool: Pool, strategy: Strategy): string | null {
  const name = `${poolName(pool)}, ${strategy.nodes}x${strategy.gpusPerNode}`;
  if (strategy.nodes * strategy.gpusPerNode !== request.gpus) {
    return `${name}: ${request.gpus} GPUs do not split evenly over ${strategy.nodes} nodes`;
  }
  const cap = Math.min(pool.kind === "cpu" ? Infinity : pool.largestNode, pool.gpu?.perNode ?? Infinity);
  if (strategy.gpusPerNode > cap) return `${name}: a node holds at most ${cap} ${pool.label}`;
  const able = nodesFor(strategy, state).length;
  if (able >= strategy.nodes) return null;
  const nodes = strategy.nodes === 1 ? "1 node" : `${strategy.nodes} nodes`;
  return `${name}: needs ${nodes} able to take ${share(strategy)}, ${pool.partition.name} has ${able}`;
}

function share(s: Strategy): string {
  const parts = [
    s.gpusPerNode > 0 ? `${s.gpusPerNode} ${s.gpuType ?? "GPUs"}` : null,
    s.cpusPerNode === null ? null : `${s.cpusPerNode} CPUs`,
    s.memPerNode === null ? null : `${s.memPerNode} of memory`,
  ];
  return parts.filter((p) => p !== null).join(", ") || "a job";
}

/**
 * The nodes of the strategy's partition that take jobs and are big enough for one node's share: the nodes it can
 * ever run on, whatever runs there now.
 */
export function nodesFor(strategy: Strategy, state: ClusterState): ScontrolNode[] {
  const partition = state.partitions.find((p) => p.name === strategy.partition);
  if (!partition || (partition.state ?? "UP").toUpperCase() !== "UP") return [];
  const mem = memMiBOf(strategy.memPerNode) ?? 0;
  return nodesOf(partition, state).filter(
    (n) =>
      nodeAcceptsJobs(n.state) &&
      gpusOn(n.gres, strategy.gpuType) >= strategy.gpusPerNode &&
      (n.cpuTotal ?? Infinity) >= (strategy.cpusPerNode ?? 1) &&
      (n.realMemoryMiB ?? Infinity) >= mem,
  );
}

function nodesOf(partition: ScontrolPartition, state: ClusterState): ScontrolNode[] {
  return state.nodes.filter((n) => partition.nodes.includes(n.name));
}

/** GPUs of a type in GRES entries; null: of every type. */
export function gpusOn(entries: ScontrolNode["gres"], gpuType: string | null): number {
  return gresCount(entries, gpuType === null ? {} : { type: gpuType });
}

/**
 * The GPUs of a type a job holds (or asks) on each of its nodes. An untyped request counts for any type: Slurm
 * may give it this one.
 */
export function jobGpusPerNode(job: SqueueJob, gpuType: string | null): number {
  let total = 0;
  for (const e of job.tresPerNode) {
    if (e.kind === "gres" && e.name === "gpu" && (gpuType === null || e.type === null || e.type === gpuType)) {
      total += e.count;
    }
  }
  return total;
}

export function partitionsOf(job: SqueueJob): string[] {
  return partitionNames(job.partition);
}
