import type { AllocRequest } from "../allocator/index.ts";
import type { Segment, SlurmLease } from "../fsqueue/index.ts";

/**
 * A lease of parts (`rv lease up --parts P`) is P Slurm jobs at a time, each a chain of segments of its own.
 * Segment numbers interleave the parts: segment n belongs to part n % P, and a part's next segment is n + P.
 * With P = 1 this is the numbering of a lease without parts, so every file and control keyed by a segment
 * number (segments/<n>.*, control/segment-<n>.*, turns, watchdogs) is unchanged.
 */

/** How many parts the lease has: 1 for a lease without `--parts`. */
export function partsOf(lease: { request: Pick<SlurmLease["request"], "parts"> }): number {
  return lease.request.parts ?? 1;
}

/** The part segment `n` belongs to. */
export function partOf(n: number, parts: number): number {
  return n % parts;
}

/** The segment that follows segment `n` in its part. */
export function nextInPart(n: number, parts: number): number {
  return n + parts;
}

/** The segment segment `n` follows in its part; null for a part's first. */
export function previousInPart(n: number, parts: number): number | null {
  return n >= parts ? n - parts : null;
}

/** The items of one part, in the order given: segments, or anything `nOf` reads a segment number from. */
export function segmentsOfPart<T>(items: readonly T[], nOf: (item: T) => number, part: number, parts: number): T[] {
  return items.filter((item) => partOf(nOf(item), parts) === part);
}

/** The segments of the part segment `n` belongs to (its own time and renewals are counted over these). */
export function partSegments<S extends Pick<Segment, "n">>(
  lease: Pick<SlurmLease, "request">,
  segments: readonly S[],
  n: number,
): S[] {
  const parts = partsOf(lease);
  return segmentsOfPart(segments, (s) => s.n, partOf(n, parts), parts);
}

/** 0 .. parts - 1. */
export function partNumbers(parts: number): number[] {
  return Array.from({ length: parts }, (_, part) => part);
}

/**
 * What the allocator is asked for one part of a lease of `parts`: the lease's totals (GPUs, CPUs, memory, nodes)
 * shared out evenly, with how many parts there are (per-user limits count them all). The caller has checked that
 * GPUs and nodes divide by `parts`; CPUs and memory round up.
 */
export function partAsk(ask: AllocRequest, parts: number): AllocRequest {
  const share = (n: number | null) => (n === null ? null : Math.ceil(n / parts));
  const gpus = ask.gpus / parts;
  return { ...ask, gpus, cpus: share(ask.cpus), memMiB: share(ask.memMiB), nodes: share(ask.nodes), parts };
}
