import type { TestOnly } from "../slurm/index.ts";
import { reservationName } from "./reservations.ts";
import type { AllocRequest, Candidate, Estimate, Strategy } from "./schema.ts";
import { durationText } from "./strategies.ts";

/** Starts this close count as one: rv's estimate is no finer than the scheduler's passes. */
const SAME_START_SECONDS = 60;

export interface RankEntry {
  strategy: Strategy;
  /** rv's estimate; null when the strategy's nodes are never free for it. */
  estimate: Estimate | null;
  /** Slurm's `--test-only` answer, when probed. */
  probe: TestOnly | null;
}

/** An entry that can start, with what ranking compares. Infinity stands for "not known" and loses to any value. */
interface Scored {
  entry: RankEntry;
  estimate: Estimate;
  /** Starts within SAME_START_SECONDS of the group's first share a group. */
  startGroup: number;
  /** VRAM GB above what the work needs. */
  wasteGb: number;
  /** SU for the whole request over its granted time. */
  cost: number;
  nodes: number;
  /** The lease's time this segment leaves to later ones: a shorter grant is cheaper, but not better. */
  leftSeconds: number;
}

/**
 * Ranks the strategies: the earliest start first, then the best fit, the lowest cost, the fewest nodes, the
 * longest grant. Drops what Slurm refused, what never starts, what another strategy beats on every count, and
 * all past `limit`. Every candidate says why it was kept or dropped.
 */
export function rankCandidates(entries: RankEntry[], request: AllocRequest, limit = 6): Candidate[] {
  const refused: Candidate[] = [];
  const live: Pick<Scored, "entry" | "estimate">[] = [];
  for (const entry of entries) {
    const judged = withProbe(entry);
    if (typeof judged === "string") refused.push(candidateOf(entry, entry.estimate, null, judged));
    else live.push({ entry, estimate: judged });
  }
  const scored = ordered(score(live, request));
  const dominated: Candidate[] = [];
  const kept: Scored[] = [];
  for (const s of scored) {
    const why = beaten(s, scored);
    if (why === null) kept.push(s);
    else dominated.push(candidateOf(s.entry, s.estimate, null, why));
  }
  const ranked = kept.map((s, i) =>
    i < limit
      ? candidateOf(s.entry, s.estimate, i + 1, keptWhy(s, request))
      : candidateOf(s.entry, s.estimate, null, `rank ${i + 1}: only ${limit} are submitted`),
  );
  return [...ranked, ...dominated, ...refused];
}

function candidateOf(entry: RankEntry, estimate: Estimate | null, rank: number | null, why: string): Candidate {
  return { strategy: entry.strategy, estimate, probe: entry.probe, rank, kept: rank !== null, why };
}

/**
 * rv's estimate, raised to Slurm's when the probe says later (a limit, a reservation rv does not model); or why
 * the strategy is out. A hole in the backfill plan stands: in 22.05 the probe does not see the plan and
 * answers with the start of the job the hole is before (measured: a 2h59m job the probe put 4 h out started
 * at once). A probe a few seconds later is the same start: the probe runs after the cluster was read, and
 * Slurm answers with the next scheduling pass.
 */
function withProbe({ strategy, estimate, probe }: RankEntry): Estimate | string {
  if (probe?.kind === "error") return `sbatch --test-only refused it: ${probe.error.message}`;
  if (estimate === null)
    return `rv finds no time when ${strategy.partition} has room for it: what holds its nodes has no end`;
  const start = probe?.kind === "estimate" ? probe.estimate.start : null;
  if (estimate.basis === "hole" || start?.kind !== "at" || start.epoch < estimate.startEpoch + SAME_START_SECONDS) {
    return estimate;
  }
  const later = durationText(start.epoch - estimate.startEpoch);
  const detail = `sbatch --test-only says ${later} later than rv's estimate (${estimate.detail})`;
  return { ...estimate, startEpoch: start.epoch, basis: "test-only", detail };
}

/** The smallest VRAM that satisfies the work is the mark: a MIG slice fits small work best. */
function score(live: Pick<Scored, "entry" | "estimate">[], request: AllocRequest): Scored[] {
  const known = live.flatMap(({ entry }) => (entry.strategy.vramGb === null ? [] : [entry.strategy.vramGb]));
  const needGb = request.minVramGb ?? (known.length > 0 ? Math.min(...known) : null);
  const byStart = [...live].sort((a, b) => a.estimate.startEpoch - b.estimate.startEpoch);
  let group = 0;
  let groupStart = byStart[0]?.estimate.startEpoch ?? 0;
  return byStart.map(({ entry, estimate }) => {
    if (estimate.startEpoch - groupStart > SAME_START_SECONDS) {
      group += 1;
      groupStart = estimate.startEpoch;
    }
    const { vramGb, suPerGpuHour, nodes, gpusPerNode } = entry.strategy;
    const wasteGb = vramGb === null || needGb === null ? Infinity : vramGb - needGb;
    const cost =
      suPerGpuHour === null ? Infinity : (suPerGpuHour * nodes * gpusPerNode * estimate.grantedSeconds) / 3600;
    const leftSeconds = request.totalSeconds - estimate.grantedSeconds;
    return { entry, estimate, startGroup: group, wasteGb, cost, nodes, leftSeconds };
  });
}

const criteria = ["startGroup", "wasteGb", "cost", "nodes", "leftSeconds"] as const;

function ordered(scored: Scored[]): Scored[] {
  return scored.sort((a, b) => {
    for (const key of criteria) {
      if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
    }
    return a.entry.strategy.id < b.entry.strategy.id ? -1 : 1;
  });
}

/**
 * Why another strategy makes this one pointless: it is no worse on any count and better on one; or this is a
 * `--time-min` variant, or a walltime shortened to end before a reservation, that starts no sooner than the same
 * shape with its whole walltime.
 */
function beaten(s: Scored, scored: Scored[]): string | null {
  const by = scored.find((other) => dominates(other, s));
  if (by) return `dominated by ${by.entry.strategy.id}, ${edge(by, s)}`;
  const whole = scored.find((other) => isWholeOf(other, s) && other.startGroup <= s.startGroup);
  if (!whole) return null;
  const { endsBefore } = s.entry.strategy;
  const variant = endsBefore ? `ending before ${reservationName(endsBefore)}` : "--time-min";
  return `${whole.entry.strategy.id} starts as soon with its whole walltime: ${variant} buys nothing here`;
}

function isWholeOf(whole: Scored, variant: Scored): boolean {
  const [a, b] = [whole.entry.strategy, variant.entry.strategy];
  const sameShape = a.partition === b.partition && a.gpuType === b.gpuType && a.nodes === b.nodes;
  if (!sameShape || a.gpusPerNode !== b.gpusPerNode || a.timeMinSeconds !== null || a.endsBefore) return false;
  if (b.endsBefore) return b.endsBefore.segmentSeconds === a.wallSeconds;
  return a.wallSeconds === b.wallSeconds && b.timeMinSeconds !== null;
}

/**
 * Only a strategy sure to start now (idle GPUs no pending job holds) rules others out: any later start is an
 * estimate, and racing the alternatives is the hedge against it being wrong.
 */
function dominates(a: Scored, b: Scored): boolean {
  if (a.estimate.basis !== "idle") return false;
  return criteria.every((key) => a[key] <= b[key]) && criteria.some((key) => a[key] < b[key]);
}

const better: Record<(typeof criteria)[number], string> = {
  startGroup: "starts earlier",
  wasteGb: "fits better",
  cost: "costs less",
  nodes: "needs fewer nodes",
  leftSeconds: "runs longer",
};

function edge(winner: Scored, loser: Scored): string {
  const points = criteria.flatMap((key) => (winner[key] < loser[key] ? [better[key]] : []));
  return `which ${points.join(", ")} and is no worse otherwise`;
}

function keptWhy({ entry, estimate, cost }: Scored, request: AllocRequest): string {
  const { strategy } = entry;
  const parts = [estimate.detail, costText(strategy, cost, estimate.grantedSeconds)];
  if (request.minVramGb !== null && strategy.vramGb === null) {
    parts.push(`VRAM unknown (no profile entry): check that it holds ${request.minVramGb} GB`);
  }
  return parts.join("; ");
}

function costText(strategy: Strategy, cost: number, grantedSeconds: number): string {
  if (strategy.suPerGpuHour === null) return "SU rate unknown";
  if (strategy.suPerGpuHour === 0) return strategy.kind === "mig" ? "0 SU: MIG is free" : "0 SU: free";
  return `${Math.round(cost)} SU for ${durationText(grantedSeconds)}`;
}
