import type { TestOnly } from "../slurm/index.ts";
import { estimateStart } from "./backfill.ts";
import type { SiteProfile } from "./profile/schema.ts";
import { rankCandidates } from "./rank.ts";
import type { AllocRequest, ClusterState, Decision, Strategy } from "./schema.ts";
import { generateStrategies } from "./strategies.ts";

/**
 * Which strategies to probe with `sbatch --test-only`: one per partition, type and topology (the walltime
 * variants share its answer), never several partitions in one probe (Slurm answers for the first that could
 * ever run it). Of each shape the most permissive walltime is probed: what it cannot start sooner, no longer
 * variant can. Cheap pools first: on the seed cluster they are also the ones that start soonest.
 */
export function planProbes(strategies: Strategy[], maxProbes = 12): Strategy[] {
  const byShape = new Map<string, Strategy>();
  for (const s of strategies) {
    const held = byShape.get(shapeOf(s));
    if (!held || shortest(s) < shortest(held)) byShape.set(shapeOf(s), s);
  }
  const guess = (s: Strategy) => [s.suPerGpuHour ?? Infinity, s.nodes];
  return [...byShape.values()].sort((a, b) => compareTuples(guess(a), guess(b))).slice(0, maxProbes);
}

function shapeOf(s: Strategy): string {
  return `${s.partition}|${s.gpuType ?? ""}|${s.nodes}x${s.gpusPerNode}`;
}

function shortest(s: Strategy): number {
  return s.timeMinSeconds ?? s.wallSeconds;
}

function compareTuples(a: number[], b: number[]): number {
  const i = a.findIndex((v, k) => v !== b[k]);
  return i < 0 ? 0 : (a[i] ?? 0) < (b[i] ?? 0) ? -1 : 1;
}

/**
 * The allocator's decision: every strategy, estimated by rv and checked against Slurm's probe of its shape,
 * ranked; and every strategy ruled out, with the reason. `probes` is keyed by the ids `planProbes` chose.
 */
export function decide(
  request: AllocRequest,
  state: ClusterState,
  profile: SiteProfile | null,
  probes: ReadonlyMap<string, TestOnly>,
): Decision {
  const { strategies, dropped } = generateStrategies(request, state, profile);
  const byShape = new Map<string, TestOnly>();
  for (const s of strategies) {
    const probe = probes.get(s.id);
    if (probe) byShape.set(shapeOf(s), probe);
  }
  const entries = strategies.map((strategy) => ({
    strategy,
    estimate: estimateStart(strategy, state),
    probe: byShape.get(shapeOf(strategy)) ?? null,
  }));
  return { at: state.nowEpoch, candidates: [...rankCandidates(entries, request), ...dropped] };
}
