import { epochOf } from "../lease/epoch.ts";
import type { SegmentView } from "../lease/index.ts";

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
