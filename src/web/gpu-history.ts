import { z } from "zod";
import { isLiveRunner, type SegmentView } from "../lease/index.ts";
import { type GpuSpan, type GpuSteps, gpuSteps, type LeaseGpus, type LeaseShow } from "../ops/index.ts";
import { segmentRun } from "./segment-run.ts";

/** How far back a lease's page charts its GPUs. */
export const GPU_HISTORY_SECONDS = 24 * 3600;

/**
 * A lease's GPUs over time (epoch seconds), as steps: from times[i] on, busy[i] of the held[i] it held were busy
 * with its tasks. From `since` (a day ago, or the lease's start) to when it was read.
 */
export const WebGpuHistorySchema = z.object({
  since: z.number(),
  times: z.array(z.number()),
  busy: z.array(z.number()),
  held: z.array(z.number()),
});
export type WebGpuHistory = z.infer<typeof WebGpuHistorySchema>;

/** What `rv lease show` says that tells what a lease held: its record, its runners, a Slurm lease's segments. */
export type HeldFacts = Pick<LeaseShow, "lease"> & {
  summary: Pick<LeaseShow["summary"], "gpus" | "runners">;
  slurm: { segments: SegmentView[] } | null;
};

/**
 * What the lease held, over time: a Slurm lease each segment's run (as its timeline draws it) times the GPUs of
 * one job of its shape; a lease of this machine its GPUs since it began, while it is active or a runner lives
 * (else until its tasks last changed, its end not being recorded).
 */
export function heldSpans(show: HeldFacts, busy: LeaseGpus): GpuSpan[] {
  const { lease } = show;
  if (lease.kind === "slurm") {
    const gpus = lease.request.gpusPerNode * lease.request.nodes;
    return (show.slurm?.segments ?? []).flatMap((view) => {
      const { start, end } = segmentRun(view);
      return start === null ? [] : [{ from: start, to: end, gpus }];
    });
  }
  const gpus = lease.gpuIds?.length ?? show.summary.gpus.total;
  const held = lease.state === "active" || show.summary.runners.some(isLiveRunner);
  return [{ from: Date.parse(lease.createdAt) / 1000, to: held ? null : busy.lastChange, gpus }];
}

/** The lease's busy steps and what it held, on one time axis. */
export function gpuHistory(show: HeldFacts, busy: LeaseGpus): WebGpuHistory {
  const held = gpuSteps(heldSpans(show, busy), { since: busy.since, until: busy.until });
  const times = [...new Set([...busy.busy.times, ...held.times])].sort((a, b) => a - b);
  return { since: busy.since, times, busy: valuesAt(busy.busy, times), held: valuesAt(held, times) };
}

/** The steps' value at each of `times` (sorted): the last step at or before it. */
function valuesAt(steps: GpuSteps, times: number[]): number[] {
  let i = 0;
  return times.map((time) => {
    while (i + 1 < steps.times.length && (steps.times[i + 1] ?? Infinity) <= time) i++;
    return steps.values[i] ?? 0;
  });
}
