import type { LeaseViewResult } from "../../cluster/ops/lease-view.ts";
import { formatDuration } from "../../output.ts";

/** The lease has a live runner: tasks submitted now will run. */
export function isReady(view: LeaseViewResult): boolean {
  return view.summary.runners.some((r) => r.health === "ok");
}

/** One line about where the lease stands, for the wait of `rv lease up` (printed when it changes). */
export function describeWait(view: LeaseViewResult, now: Date): string {
  const current = [...view.segments].reverse().find((s) => !s.segment.ended) ?? view.segments.at(-1);
  if (!current) return "no segment submitted yet";
  const { segment, job } = current;
  const state = job.state?.kind ?? "unknown";
  const prefix = `segment ${segment.n} (job ${segment.jobId})`;
  if (state === "pending") {
    const start =
      job.start?.kind === "at" ? `, estimated start in ${formatDuration(job.start.epoch * 1000 - now.getTime())}` : "";
    return `${prefix} pending (${job.reason ?? "queued"})${start}`;
  }
  if (state === "running" || state === "configuring") {
    const ready = isReady(view) ? "; runner up" : "; waiting for the runner's first heartbeat";
    return `${prefix} running on ${job.nodes.join(",") || "?"}${ready}`;
  }
  return `${prefix} ${job.state?.raw ?? "not known to Slurm"}`;
}
