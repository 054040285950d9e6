import type { SegmentView } from "../../lease/index.ts";
import { isLiveRunner } from "../../lease/runner-health.ts";
import { type GpuSpan, type GpuSteps, gpuSteps } from "../../ops/gpu-steps.ts";
import type { LeaseGpus } from "../../ops/lease-gpus.ts";
import type { LeaseShow } from "../../ops/lease-show.ts";
import { segmentRun } from "../segment-run.ts";

/**
 * A lease's GPUs over time (epoch seconds), as steps: from times[i] on, busy[i] of the held[i] it held were busy
 * with its tasks. From `since` (a day ago, or the lease's start) to when it was read.
 */
export interface GpuHistory {
  since: number;
  times: number[];
  busy: number[];
  held: number[];
}

/** What `rv lease show` says that tells what a lease held: its record, its runners, a Slurm lease's segments. */
export type HeldFacts = Pick<LeaseShow, "lease"> & {
  summary: Pick<LeaseShow["summary"], "runners">;
  slurm: { segments: SegmentView[] } | null;
};

/**
 * The GPUs the lease holds while it holds any: a Slurm lease one job's of its shape; a lease of this machine those
 * it was given, else those its runners found.
 */
export function heldGpus({ lease, summary }: HeldFacts): number {
  if (lease.kind === "slurm") return lease.request.gpusPerNode * lease.request.nodes;
  return lease.gpuIds?.length ?? Math.max(0, ...summary.runners.map((runner) => runner.gpus.length));
}

/**
 * What the lease held, over time: a Slurm lease each segment's run (as its timeline draws it); a lease of this
 * machine since it began, while it is active or a runner lives (else until its tasks' GPUs last changed, its end
 * not being recorded).
 */
export function heldSpans(show: HeldFacts, busy: LeaseGpus): GpuSpan[] {
  const { lease } = show;
  const gpus = heldGpus(show);
  if (lease.kind === "slurm") {
    return (show.slurm?.segments ?? []).flatMap((view) => {
      const { start, end } = segmentRun(view);
      return start === null ? [] : [{ from: start, to: end, gpus }];
    });
  }
  const held = lease.state === "active" || show.summary.runners.some(isLiveRunner);
  return [{ from: Date.parse(lease.createdAt) / 1000, to: held ? null : busy.lastChange, gpus }];
}

/** The lease's busy steps, as its place read them, and what it held, on one time axis. */
export function gpuHistory(show: HeldFacts, busy: LeaseGpus): GpuHistory {
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
