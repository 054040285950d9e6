import { deferred } from "../deferred.ts";
import { holdsAllocation } from "../slurm/parse/job-state.ts";
import { z } from "../zod.ts";
import { partNumbers, segmentsOfPart } from "./parts.ts";
import type { SegmentView } from "./supervise.ts";

/** Where one part of a lease of parts stands: its current segment and what Slurm says of its job. */
export const PartNowSchema = deferred(() =>
  z.object({
    part: z.number(),
    segment: z.number(),
    jobId: z.string(),
    /** Slurm's state of the job (`RUNNING`, `PENDING`, `CANCELLED`, ...); null when Slurm does not know it. */
    state: z.nullable(z.string()),
    /**
     * Where Slurm has the job: the partition it runs (or ran) in, or while it waits every one it may run in
     * (`gpu-a6000,gpu-a100-80`, a lease spread over partitions); null when Slurm does not say. Absent from an rv
     * before it.
     */
    partition: z.optional(z.nullable(z.string())),
  }),
);
export type PartNow = z.infer<typeof PartNowSchema>;

/**
 * Each part's current segment: the newest that holds its GPUs (two may during an overlap), else the oldest
 * still queued, else the last; a part with no segment is left out.
 */
export function partsNow(views: readonly SegmentView[], parts: number): PartNow[] {
  return partNumbers(parts).flatMap((part) => {
    const own = segmentsOfPart(views, (v) => v.segment.n, part, parts);
    const current =
      own.filter((v) => v.job.state && holdsAllocation(v.job.state.kind)).at(-1) ??
      own.find((v) => v.job.state?.kind === "pending") ??
      own.at(-1);
    if (!current) return [];
    const state = current.job.state?.raw ?? current.segment.ended?.state ?? null;
    return [
      { part, segment: current.segment.n, jobId: current.segment.jobId, state, partition: current.job.partition },
    ];
  });
}
