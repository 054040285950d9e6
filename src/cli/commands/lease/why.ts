import { MIN_SEGMENT_SECONDS } from "../../../allocator/index.ts";
import { RvError } from "../../../errors.ts";
import { describePhase, type LeaseReservation, type SlurmLeaseLook } from "../../../lease/index.ts";
import { leaseWhyOp } from "../../../ops/index.ts";
import { plural } from "../../../plural.ts";
import type { Context } from "../../context.ts";
import { printJson } from "../../output.ts";
import { placeOfLease } from "../../route.ts";
import { describeReservation } from "../reservation-text.ts";
import { startIn } from "./decision-view.ts";
import { explainPendingReason } from "./pending-reason.ts";

export interface WaitingJob {
  jobId: string;
  /** The racing strategy, or the segment, the job is for. */
  what: string;
  reason: string | null;
  explanation: string;
  /** Slurm's planned start, else rv's estimate, in epoch seconds. */
  startEpoch: number | null;
}

/** The lease's jobs that wait in Slurm's queue, and why each does: the racers before a claim, a queued segment after. */
export function waitingJobs(view: Pick<SlurmLeaseLook, "race" | "segments">): WaitingJob[] {
  const racers = (view.race ?? [])
    .filter((r) => r.state === "pending" && r.jobId !== null)
    .map((r) => ({
      jobId: r.jobId ?? "",
      what: `strategy ${r.strategyId}`,
      reason: r.reason,
      startEpoch: r.startEpoch,
    }));
  const segments = view.segments
    .filter(({ job }) => job.state?.kind === "pending")
    .map(({ segment, job }) => ({
      jobId: segment.jobId,
      what: `segment ${segment.n}`,
      reason: job.reason,
      startEpoch: job.start?.kind === "at" ? job.start.epoch : null,
    }));
  return [...racers, ...segments].map((w) => ({ ...w, explanation: explainPendingReason(w.reason) }));
}

/**
 * `rv lease why L`: why a cluster lease has no GPUs yet, or is waiting for its next segment; and the reservations
 * (maintenance windows) on its nodes, with what rv did about each.
 */
export async function runLeaseWhy(ctx: Context, lease: string): Promise<number> {
  const { slurm: view, reservations } = await placeOfLease(ctx, lease).call(leaseWhyOp, { lease });
  if (!view) {
    throw new RvError("usage", `lease ${lease} is a local lease: it waits for no Slurm job`, {
      hint: `rv lease show ${lease} shows its runners`,
    });
  }
  const waiting = waitingJobs(view);
  if (ctx.json) {
    printJson(ctx.io, { lease, phase: view.phase, waiting, reservations });
    return 0;
  }
  const nowEpoch = Math.floor(ctx.now().getTime() / 1000);
  ctx.io.out(`${lease}: ${describePhase(view.phase)}\n`);
  for (const r of reservations) ctx.io.out(reservationText(r, nowEpoch));
  if (waiting.length === 0) ctx.io.out("  nothing of it waits in Slurm's queue\n");
  for (const w of waiting) {
    const when = w.startEpoch === null ? "no start planned yet" : `planned start ${startIn(w.startEpoch, nowEpoch)}`;
    ctx.io.out(`  ${w.what} (job ${w.jobId}), ${when}\n    ${w.explanation}\n`);
  }
  return 0;
}

/** A reservation and, under it, what it did to the lease: the segments rv shaped around it, the jobs it holds. */
function reservationText(r: LeaseReservation, nowEpoch: number): string {
  const segments = (ns: number[]) => (ns.length === 1 ? `segment ${ns[0]}` : `segments ${ns.join(", ")}`);
  const lines = [
    ...(r.endsBefore.length > 0 ? [`rv cut ${segments(r.endsBefore)} short to end before it starts`] : []),
    ...(r.beginsAfter.length > 0
      ? [
          `rv holds ${segments(r.beginsAfter)} until it is over: no segment of at least ${MIN_SEGMENT_SECONDS / 60} minutes fits before it`,
        ]
      : []),
    ...(r.holds.length > 0
      ? [`Slurm holds ${plural(r.holds.length, "job")} of the lease for it: ${r.holds.join(", ")}`]
      : []),
  ];
  if (lines.length === 0) lines.push("nothing of the lease was shaped by it or waits for it");
  return `  ${describeReservation(r, nowEpoch)}\n${lines.map((l) => `    ${l}\n`).join("")}`;
}
