import { type SiteProfile, SiteProfileSchema } from "../../src/allocator/profile/schema.ts";
import type { AllocRequest, ClusterState, Estimate, Strategy } from "../../src/allocator/schema.ts";
import {
  parseDuration,
  parseGres,
  parseJobState,
  parseNodeState,
  type ScontrolNode,
  type ScontrolPartition,
  type ScontrolReservation,
  type SqueueJob,
} from "../../src/slurm/index.ts";

/** Factories for the allocator's tests: a cluster shaped like the dev cluster, a profile like the seed cluster's. */

export const NOW = 1_790_000_000;
export const MIN = 60;
export const HOUR = 3600;

interface NodeSpec {
  gpuType?: string;
  gpus?: number;
  usedGpus?: number;
  cpus: number;
  cpuAlloc?: number;
  state?: string;
}

export function node(name: string, spec: NodeSpec): ScontrolNode {
  const { gpuType, gpus = 0, usedGpus = 0, cpus, cpuAlloc = 0 } = spec;
  const gres = gpus > 0 ? `gpu:${gpuType}:${gpus}` : "";
  const busy = usedGpus > 0 || cpuAlloc > 0;
  return {
    name,
    state: parseNodeState(spec.state ?? (busy ? "MIXED" : "IDLE")),
    gres: parseGres(gres),
    gresUsed: gpus > 0 ? parseGres(`gpu:${gpuType}:${usedGpus}`) : [],
    cfgTres: null,
    allocTres: null,
    cpuTotal: cpus,
    cpuAlloc,
    realMemoryMiB: 256_000,
    allocMemMiB: 0,
    partitions: [],
    features: [],
    reason: null,
  };
}

export function partition(name: string, nodes: string[], maxTime = "2-00:00:00", isDefault = false): ScontrolPartition {
  return {
    name,
    isDefault,
    state: "UP",
    maxTime: parseDuration(maxTime),
    defaultTime: null,
    nodes,
    totalNodes: nodes.length,
    totalCpus: null,
    tres: null,
  };
}

interface JobSpec {
  partition: string;
  /** Per node, as squeue's TRES_PER_NODE: `gpu:a6000:2`; "" for a CPU-only job. */
  gres: string;
  user?: string;
  timeLimit?: number;
}

/** A job running on `nodes` that ends `endsIn` seconds from NOW. */
export function running(id: string, nodes: string[], endsIn: number, spec: JobSpec): SqueueJob {
  return job(id, spec, {
    state: parseJobState("RUNNING"),
    nodes,
    nodeCount: nodes.length,
    end: { kind: "at", epoch: NOW + endsIn },
  });
}

/** A pending job on `nodeCount` nodes; `start` is Slurm's planned start, `schedNodes` its planned nodes. */
export function pending(
  id: string,
  spec: JobSpec & { nodeCount?: number; startIn?: number; schedNodes?: string[] },
): SqueueJob {
  return job(id, spec, {
    state: parseJobState("PENDING"),
    nodes: [],
    nodeCount: spec.nodeCount ?? 1,
    start: spec.startIn === undefined ? null : { kind: "at", epoch: NOW + spec.startIn },
    schedNodes: spec.schedNodes ?? [],
  });
}

function job(id: string, spec: JobSpec, more: Partial<SqueueJob>): SqueueJob {
  const limit = spec.timeLimit ?? 3 * HOUR;
  return {
    jobId: id,
    baseJobId: id,
    arrayTask: null,
    partition: spec.partition,
    name: `job${id}`,
    user: spec.user ?? "other",
    state: parseJobState("PENDING"),
    elapsed: null,
    timeLimit: { kind: "seconds", seconds: limit },
    timeLeft: null,
    start: null,
    end: null,
    nodeCount: 1,
    nodes: [],
    schedNodes: [],
    reason: null,
    tresPerNode: parseGres(spec.gres),
    gresDetail: null,
    ...more,
  };
}

const devNodes = (): ScontrolNode[] => [
  node("cpu-01", { cpus: 64 }),
  node("cpu-02", { cpus: 64 }),
  node("a6000-01", { gpuType: "a6000", gpus: 4, cpus: 32 }),
  node("a6000-02", { gpuType: "a6000", gpus: 4, cpus: 32 }),
  node("a100-01", { gpuType: "a100_80g", gpus: 4, cpus: 64 }),
  node("a100-02", { gpuType: "a100_80g", gpus: 4, cpus: 64 }),
  node("mig-01", { gpuType: "1g.10gb", gpus: 7, cpus: 32 }),
  node("rtx3090-01", { gpuType: "rtx3090", gpus: 2, cpus: 16 }),
];

const devPartitions = (): ScontrolPartition[] => [
  partition("standard", ["cpu-01", "cpu-02"], "7-00:00:00", true),
  partition("gpu-a6000", ["a6000-01", "a6000-02"]),
  partition("gpu-a100-80", ["a100-01", "a100-02"]),
  partition("gpu-mig", ["mig-01"]),
  partition("interactive-rtx3090", ["rtx3090-01"], "8:00:00"),
];

/**
 * The dev cluster, idle, with `jobs` in the queue. `nodes` replaces nodes by name (GPUs in use, CPUs, state):
 * keep GresUsed and CPUAlloc in line with the running jobs, as Slurm does.
 */
export function devCluster(
  jobs: SqueueJob[] = [],
  nodes: ScontrolNode[] = [],
  reservations: ScontrolReservation[] = [],
): ClusterState {
  const replaced = devNodes().map((n) => nodes.find((m) => m.name === n.name) ?? n);
  return { nowEpoch: NOW, user: "me", partitions: devPartitions(), nodes: replaced, jobs, reservations };
}

/** A reservation on `nodes` from `startIn` seconds after NOW (negative: it began before), for `lasts` seconds. */
export function reservation(
  name: string,
  nodes: string[],
  startIn: number,
  lasts: number,
  flags = ["MAINT", "SPEC_NODES"],
): ScontrolReservation {
  return {
    name,
    start: { kind: "at", epoch: NOW + startIn },
    end: { kind: "at", epoch: NOW + startIn + lasts },
    nodes,
    flags,
  };
}

/**
 * The seed cluster's GPU table (notes/seed-cluster.md), with the GRES names of the dev cluster where they differ
 * (its A100-80 is `a100_80g`, Rivanna's `a100`), so that the profile matches the dev cluster's pools.
 */
export const rivanna: SiteProfile = SiteProfileSchema.parse({
  name: "rivanna",
  segmentSeconds: 2 * HOUR + 59 * MIN,
  maxGpusPerUser: 32,
  gpus: [
    gpu("mig", "gpu-mig", "1g.10gb", 10, 0, 28, 1, 56, "mig"),
    gpu("rtx3090", "interactive-rtx3090", "rtx3090", 24, 113.23, 2, 2, 4, "interactive", 12 * HOUR),
    gpu("a6000", "gpu-a6000", "a6000", 48, 142.73, 32, 8, 8),
    gpu("a40", "gpu-a40", "a40", 48, 186.69, 32, 8, 8),
    gpu("a100_40", "gpu-a100-40", "a100", 40, 463.81, 32, 8, 8),
    gpu("a100_80", "gpu-a100-80", "a100_80g", 80, 508.89, 32, 8, 8),
    gpu("v100", "gpu-v100", "v100", 32, 20.96, 32, 4, 4),
    gpu("h200", "gpu-h200", "h200", 141, 816.67, 4, 4, 8),
  ],
});

function gpu(
  key: string,
  partition: string,
  gres: string,
  vramGb: number,
  suPerGpuHour: number,
  maxPerUser: number,
  maxPerJob: number,
  perNode: number,
  kind = "gpu",
  maxWalltimeSeconds = 3 * 24 * HOUR,
) {
  return { key, partition, gres, vramGb, suPerGpuHour, maxPerUser, maxPerJob, perNode, kind, maxWalltimeSeconds };
}

/** The seed profile with one GPU entry changed. */
export function rivannaWith(key: string, change: Partial<SiteProfile["gpus"][number]>): SiteProfile {
  return { ...rivanna, gpus: rivanna.gpus.map((g) => (g.key === key ? { ...g, ...change } : g)) };
}

export function ask(change: Partial<AllocRequest> = {}): AllocRequest {
  return {
    gpus: 1,
    types: [],
    minVramGb: null,
    cpus: null,
    memMiB: null,
    totalSeconds: 24 * HOUR,
    segmentSeconds: null,
    nodes: null,
    partition: null,
    account: null,
    ...change,
  };
}

export function strategy(change: Partial<Strategy> = {}): Strategy {
  return {
    id: "a6000:1x4:2h59m",
    partition: "gpu-a6000",
    gpuType: "a6000",
    profileKey: "a6000",
    kind: "gpu",
    nodes: 1,
    gpusPerNode: 4,
    cpusPerNode: null,
    memPerNode: null,
    wallSeconds: 2 * HOUR + 59 * MIN,
    timeMinSeconds: null,
    vramGb: 48,
    suPerGpuHour: 142.73,
    ...change,
  };
}

export function estimate(startIn: number, change: Partial<Estimate> = {}): Estimate {
  return { startEpoch: NOW + startIn, grantedSeconds: 2 * HOUR + 59 * MIN, basis: "idle", detail: "free", ...change };
}
