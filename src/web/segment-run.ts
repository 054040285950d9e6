import type { SegmentView } from "../lease/index.ts";

/** An ISO time in whole epoch seconds (null stays null). */
export const epochOf = (iso: string | null | undefined) => (iso ? Math.floor(Date.parse(iso) / 1000) : null);

/**
 * When a Slurm lease's segment held its GPUs, in epoch seconds: from its job's start (as recorded once it ended,
 * else as Slurm says while it is not pending) to its recorded end; `end` null while it runs, `start` null before.
 * The lease page's timeline draws it, and its GPU history counts it.
 */
export function segmentRun({ segment, job }: SegmentView): { start: number | null; end: number | null } {
  const slurmStart = job.state?.kind !== "pending" && job.start?.kind === "at" ? job.start.epoch : null;
  const start = epochOf(segment.ended?.start) ?? slurmStart;
  return { start, end: segment.ended ? epochOf(segment.ended.end) : null };
}
