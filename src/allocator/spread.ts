import type { Candidate, Decision, Strategy } from "./schema.ts";
import { durationText } from "./strategies.ts";

/**
 * The shape of each part of a lease of parts (docs/cluster.md, "Leases of parts"), spread over the partitions
 * of the kept strategies: one job per part asks them all (`-p gpu-a6000,gpu-a100-80 --gres=gpu:1`), and Slurm
 * starts it in whichever can start it first. A plain lease races its kept strategies, a job each, and keeps the
 * first to start; a part is one job, so it gets the same hedge from Slurm's multi-partition job. Under a churn of
 * short jobs in both partitions one such 1-GPU job started in 42.5 s where one in a single partition took 79.3 s
 * (bench (g), multi-partition arm), and parts that wait in two queues are not all served by one of them.
 *
 * Only where that keeps the lease's meaning:
 * - one node per part: a multi-partition job's nodes are all in one partition, which a union of nodes (walltime.ts,
 *   the reservations) would not say;
 * - the kept strategies of the best one's topology, at their whole walltime (one shortened to end before a
 *   reservation is about its own partition's nodes: Slurm does not start a job into a reservation anyway); when
 *   the best is such a one, it starts before the reservation where the others wait: no spread;
 * - partitions whose GPUs are all of one type, counting the dropped strategies too: the GRES is untyped (one job
 *   names no type per partition), and there an untyped GPU is of the type the lease accepts.
 *
 * The walltime is the shortest of theirs (the job must fit every partition's limits); the VRAM the least and the
 * SU rate the highest, what a part may get. Null when fewer than two partitions qualify: the best strategy then.
 */
export function spreadStrategy(decision: Decision): Strategy | null {
  const kept = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0));
  const best = kept[0]?.strategy;
  if (best?.nodes !== 1 || best.gpusPerNode === 0 || best.endsBefore) return null;
  const members = kept
    .map((c) => c.strategy)
    .filter((s) => s.nodes === 1 && s.gpusPerNode === best.gpusPerNode && !s.endsBefore)
    .filter((s) => oneGpuType(decision.candidates, s));
  const partitions = [...new Set(members.map((s) => s.partition))];
  if (partitions.length < 2) return null;
  const wallSeconds = Math.min(...members.map((s) => s.wallSeconds));
  const labels = [...new Set(members.map((s) => s.id.split(":")[0]))].join("+");
  return {
    id: `${labels}:1x${best.gpusPerNode}:${durationText(wallSeconds)}`,
    partition: partitions.join(","),
    gpuType: null,
    profileKey: null,
    kind: best.kind,
    nodes: 1,
    gpusPerNode: best.gpusPerNode,
    cpusPerNode: best.cpusPerNode,
    memPerNode: best.memPerNode,
    wallSeconds,
    timeMinSeconds: null,
    vramGb: ofAll(
      members.map((s) => s.vramGb),
      Math.min,
    ),
    suPerGpuHour: ofAll(
      members.map((s) => s.suPerGpuHour),
      Math.max,
    ),
  };
}

/** Every strategy of the partition, kept or dropped, is of the one GPU type `s` asks for. */
function oneGpuType(candidates: readonly Candidate[], s: Strategy): boolean {
  return candidates.every((c) => c.strategy.partition !== s.partition || c.strategy.gpuType === s.gpuType);
}

/** `pick` of the values (the least, the most); null when one of them is not known. */
function ofAll(values: readonly (number | null)[], pick: (...values: number[]) => number): number | null {
  const known = values.filter((v) => v !== null);
  return known.length === values.length ? pick(...known) : null;
}
