/** The ops a segment's batch script runs on its node, in-process: the lease's own life cycle, not a person's verbs. */

import type { Claim, Race } from "../allocator/index.ts";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  type LeasePaths,
  leasePaths,
  newRunnerId,
  requestControl,
  type Segment,
  type SlurmLease,
} from "../fsqueue/index.ts";
import {
  cancelIfReleased,
  cancelLosers,
  cancelWatchdogs,
  claimRace,
  fitSegmentToSite,
  giveTurnBack,
  journal,
  partsOf,
  partTakenBy,
  planFirstSegment,
  planRenewal,
  previousInPart,
  readRace,
  readSegmentSite,
  readSegments,
  recordWin,
  requireLease,
  submitSegment,
  submitWatchdog,
  takeSegmentTurn,
  watchdogFiles,
  watchSegment,
} from "../lease/index.ts";
import { segmentTarget } from "../runner/index.ts";
import { z } from "../zod.ts";
import { defineOp, type OpEnv } from "./op.ts";

/** Slurm starts the jobs of one scheduling pass within a second or two (sched_min_interval is 2 s on the seed cluster). */
const SETTLE_MS = 3000;
const DEFER_MS = 30_000;
const POLL_MS = 500;

/**
 * `rv lease claim`: run first by each racing job of segment 0 when it starts. The winner makes the lease its own
 * and cancels its siblings; every other job learns it lost (and its script exits). In a race of shapes the jobs of
 * the winner's shape are the lease's parts: each that starts later finds the lease its own too, and records itself.
 */
export const leaseClaimOp = defineOp({
  name: "lease-claim",
  input: deferred(() =>
    z.object({
      lease: z.string(),
      attempt: z.int().check(z.positive()),
      rank: z.int().check(z.positive()),
      /** In a race of shapes, the part of its shape this job is. */
      part: z._default(z.int().check(z.nonnegative()), 0),
      job: z.string(),
      /** When this job ends as Slurm granted it, in epoch ms. */
      segmentEndMs: z._default(z.nullable(z.number()), null),
    }),
  ),
  result: deferred(() =>
    z.union([
      z.object({ won: z.literal(true), strategy: z.string(), cancelled: z.array(z.string()) }),
      z.object({ won: z.literal(false), why: z.string() }),
    ]),
  ),
  async run(env, input) {
    const p = leasePaths(env.root, input.lease);
    const race = readRace(p, input.attempt);
    const entry = race.entries.find((e) => e.rank === input.rank && e.part === input.part);
    if (!entry) {
      const which = input.part > 0 ? ` part ${input.part}` : "";
      throw new RvError("usage", `race ${race.attempt} of lease ${race.lease} has no rank ${input.rank}${which}`);
    }
    const me = {
      lease: race.lease,
      attempt: race.attempt,
      rank: entry.rank,
      strategyId: entry.strategy.id,
      jobId: input.job,
      part: entry.part,
      node: env.env.SLURMD_NODENAME ?? null,
    };
    // A race of one has no sibling to wait for.
    const settleMs = race.entries.length > 1 ? SETTLE_MS : 0;
    const outcome = await claimRace(p, me, { settleMs, deferMs: DEFER_MS, pollMs: POLL_MS, now: env.now, sleep });
    if (!outcome.won) return { won: false as const, why: outcome.why };
    const taken = partTakenBy(p, outcome.claim, me);
    if (taken) return { won: false as const, why: `part ${me.part} of the lease is job ${taken}'s` };
    // As it is now: job ids came back from sbatch while this job settled its claim.
    const settled = readRace(p, input.attempt);
    const startEpoch = Math.floor(env.now().getTime() / 1000);
    const endEpoch = input.segmentEndMs === null ? null : Math.floor(input.segmentEndMs / 1000);
    const lease = recordWin(env.root, settled, outcome.claim, { startEpoch, endEpoch }, me);
    // A part that starts after its shape won finds the race settled: its segment is watched, unless it recorded it.
    if (outcome.claim.jobId !== input.job) {
      await watchFirstSegments(
        env,
        lease,
        readSegments(p).filter((s) => s.n === me.part && !s.watchdog),
      );
      return { won: true as const, strategy: entry.strategy.id, cancelled: [] };
    }
    const segmentJobs = readSegments(p).map((s) => s.jobId);
    const cancelled = await cancelLosers(env.remote, settled, outcome.claim, env.user, segmentJobs);
    await watchWinner(env, lease, settled, outcome.claim);
    return { won: true as const, strategy: entry.strategy.id, cancelled };
  },
});

/**
 * The race's watchdog is of no more use once a job holds the lease: it is cancelled, and each first segment gets
 * its own, as every segment has: the winner's, and in a race of shapes each part's (a part Slurm refused is
 * submitted now, with its watchdog). Best effort: the winner holds its GPUs whatever happens here, and a failure is
 * only journaled (the lease goes on, without a watchdog for that segment).
 */
async function watchWinner(env: OpEnv, lease: SlurmLease, race: Race, claim: Claim): Promise<void> {
  const p = leasePaths(env.root, lease.id);
  const shape = race.entries.filter((e) => e.rank === claim.rank);
  // Only the race's: a part that started in the same pass may have renewed, and its successor's is watched.
  const watched = readSegments(p).flatMap((s) => (s.watchdog && "jobId" in s.watchdog ? [s.watchdog.jobId] : []));
  await cancelWatchdogs(env.remote, lease.id, env.user, watched).catch((error: unknown) =>
    journalFailure(env, p, "the race's watchdog was not cancelled", error),
  );
  const parts = shape[0]?.parts ?? 1;
  await watchFirstSegments(
    env,
    lease,
    readSegments(p).filter((s) => s.n < parts && !s.watchdog),
  );
  const onRecord = new Set(readSegments(p).map((s) => s.n));
  for (const refused of shape.filter((e) => e.refused !== null && !onRecord.has(e.part))) {
    const plan = planFirstSegment(lease, refused.strategy.wallSeconds, refused.part);
    // The turn a supervisor replacing a part with no segment takes too: one job for one part.
    const turn = takeSegmentTurn(p, plan.n, env.now());
    if (turn === null) continue;
    const by = `rv lease claim, for part ${refused.part} (Slurm refused its racer)`;
    await submitSegment(env.remote, env.root, lease, plan, by, env.now()).catch((error: unknown) => {
      giveTurnBack(turn);
      journalFailure(env, p, `part ${refused.part} not submitted`, error);
    });
  }
}

/** A watchdog for each of these first segments, which wakes a supervisor should its job fail. */
async function watchFirstSegments(env: OpEnv, lease: SlurmLease, segments: readonly Segment[]): Promise<void> {
  const p = leasePaths(env.root, lease.id);
  for (const segment of segments) {
    try {
      const wake = { kind: "afternotok" as const, jobs: [segment.jobId] };
      const files = watchdogFiles(p, { segment: segment.n });
      watchSegment(p, segment.n, await submitWatchdog(env.remote, env.root, lease, wake, files));
    } catch (error) {
      journalFailure(env, p, `no watchdog for segment ${segment.n}`, error);
    }
  }
}

function journalFailure(env: OpEnv, p: LeasePaths, what: string, error: unknown): void {
  const why = error instanceof Error ? error.message : String(error);
  const by = `segment job ${env.env.SLURM_JOB_ID ?? "?"} on ${env.env.SLURMD_NODENAME ?? env.host}`;
  journal(p, by, `${what}: ${why}`, env.now());
}

/**
 * `rv lease renew`: run by a segment's batch script when it starts. Submits the next segment by the lease's policy
 * (after this one, or to begin shortly before its end), unless the lease was released or its time is spent. Safe
 * to run twice: a segment is planned once.
 */
export const leaseRenewOp = defineOp({
  name: "lease-renew",
  input: deferred(() =>
    z.object({
      lease: z.string(),
      /** The running segment's Slurm job. */
      after: z.string(),
      /** When it ends, in epoch ms; without it, its walltime from now. */
      segmentEndMs: z._default(z.nullable(z.number()), null),
    }),
  ),
  result: deferred(() =>
    z.object({
      renewed: z.boolean(),
      why: z.nullable(z.string()),
      segment: z.nullable(z.number()),
      jobId: z.nullable(z.string()),
    }),
  ),
  async run(env, input) {
    const lease = requireLease(env.root, input.lease);
    if (lease.kind !== "slurm") throw new RvError("usage", `lease ${lease.id} is not a Slurm lease`);
    const p = leasePaths(env.root, lease.id);
    const segments = readSegments(p);
    const clock = segmentClock(env, segments, input);
    const planned = planRenewal(lease, segments, input.after, clock);
    if (planned.kind === "stop") return { renewed: false, why: planned.why, segment: null, jobId: null };
    // MaxTime and the reservations as they stand now: the lease's record knows neither
    const site = await readSegmentSite(env.remote, lease.request.partition);
    const plan = fitSegmentToSite(planned, lease, segments, site, clock);
    // The turn a supervisor replacing a dead segment also takes: one segment for one gap.
    const turn = takeSegmentTurn(p, plan.n, env.now());
    if (turn === null) {
      const why = `segment ${plan.n} is being submitted, or was, by another`;
      return { renewed: false, why, segment: null, jobId: null };
    }
    const by = `segment ${previousInPart(plan.n, partsOf(lease))} on ${env.host}`;
    const segment = await submitSegment(env.remote, env.root, lease, plan, by, env.now()).catch((error: unknown) => {
      giveTurnBack(turn);
      throw error;
    });
    // A release that read the segments before this one was written would not have cancelled it.
    if (await cancelIfReleased(env, lease.id, [segment.jobId], null)) {
      return {
        renewed: false,
        why: `the lease was released meanwhile (job ${segment.jobId} cancelled)`,
        segment: null,
        jobId: null,
      };
    }
    return { renewed: true, why: null, segment: segment.n, jobId: segment.jobId };
  },
});

function segmentClock(env: OpEnv, segments: Segment[], input: { after: string; segmentEndMs: number | null }) {
  const nowEpoch = Math.floor(env.now().getTime() / 1000);
  const wall = segments.find((s) => s.jobId === input.after)?.wallSeconds ?? 0;
  const endsAtEpoch = input.segmentEndMs === null ? nowEpoch + wall : Math.floor(input.segmentEndMs / 1000);
  return { nowEpoch, endsAtEpoch };
}

/**
 * `rv lease end-segment`: run by a segment's batch script when Slurm warns that the job ends soon. Leaves
 * `control/segment-<n>.end`, which the segment's runners on every node act on.
 */
export const leaseEndSegmentOp = defineOp({
  name: "lease-end-segment",
  input: deferred(() => z.object({ lease: z.string(), segment: z.int().check(z.gte(0)) })),
  result: deferred(() => z.object({ lease: z.string(), segment: z.number(), requested: z.literal("end") })),
  run(env, input) {
    const lease = requireLease(env.root, input.lease);
    const by = newRunnerId(`end-segment-${env.host}`, process.pid);
    requestControl(leasePaths(env.root, lease.id), segmentTarget(String(input.segment)), "end", by, env.now());
    return { lease: lease.id, segment: input.segment, requested: "end" as const };
  },
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
