import { type RaceRow, racerLabel } from "../../../allocator/index.ts";
import { describePhase, type SlurmLeaseLook } from "../../../lease/index.ts";
import type { LeaseSummary } from "../../../ops/index.ts";
import { formatDuration } from "../../output.ts";

/** What `rv lease up` watches while it waits: a look at the Slurm lease, and its runners. */
export type WaitView = Omit<SlurmLeaseLook, "lease"> & { summary: LeaseSummary };

/** The lease has a live runner: tasks submitted now will run. */
export function isReady(view: WaitView): boolean {
  return view.summary.runners.some((r) => r.health === "ok");
}

/** One line about where the lease stands, for the wait of `rv lease up` (printed when it changes). */
export function describeWait(view: WaitView, now: Date): string {
  if (view.phase.kind === "retrying" || view.phase.kind === "paused") return describePhase(view.phase);
  const holding = view.segments.find((s) => s.job.state?.kind === "running" || s.job.state?.kind === "configuring");
  const current = holding ?? [...view.segments].reverse().find((s) => !s.segment.ended) ?? view.segments.at(-1);
  if (!current) return view.race ? describeRace(view.race, now) : "no segment submitted yet";
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

/** Before a job claims the lease: how many still race, and the one expected first. */
function describeRace(rows: readonly RaceRow[], now: Date): string {
  const won = rows.find((r) => r.state === "won");
  if (won) return `${racerLabel(won)} (job ${won.jobId}) won the race: recording it as segment ${won.part ?? 0}`;
  const live = rows.filter((r) => r.state === "pending" || r.state === "starting");
  const first = [...live].sort((a, b) => (a.startEpoch ?? Infinity) - (b.startEpoch ?? Infinity))[0];
  const racers = rows.some((r) => r.parts) ? "jobs" : "strategies";
  if (!first) return `racing ${rows.length} ${racers}: none left in the running`;
  const when =
    first.startEpoch === null
      ? ""
      : `, estimated start in ${formatDuration(Math.max(0, first.startEpoch * 1000 - now.getTime()))}`;
  const what = first.state === "starting" ? "started, claiming the lease" : `pending (${first.reason ?? "queued"})`;
  return `racing ${live.length} of ${rows.length} ${racers}; first expected: ${racerLabel(first)} (job ${first.jobId}) ${what}${when}`;
}
