import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  type Lease,
  leasePaths,
  type Segment,
  SegmentSchema,
  type SlurmLease,
  SlurmLeaseSchema,
} from "../fsqueue/index.ts";
import {
  type ExtensionPlan,
  extendLease,
  fitSegmentToSite,
  partNumbers,
  partsOf,
  planExtension,
  readSegmentSite,
  readSegments,
  requireLease,
  type SegmentSite,
  segmentsOfPart,
  submitSegment,
  updateLease,
  withdrawSegments,
} from "../lease/index.ts";
import { isFinished, type JobStatus, jobStatus } from "../slurm/index.ts";
import { z } from "../zod.ts";
import { defineOp, type OpEnv } from "./op.ts";

export const LeaseExtendResultSchema = deferred(() =>
  z.object({
    /** The record as written, with the new total. */
    lease: SlurmLeaseSchema,
    addedSeconds: z.number(),
    /** The segment this extension submitted, when the last one was not going to renew; else null. */
    submitted: z.nullable(SegmentSchema),
    /** A lease of parts: the segments submitted for its other parts, each extended alike. */
    alsoSubmitted: z._default(z.array(SegmentSchema), []),
    /** Why nothing was submitted (null when something was). */
    why: z.nullable(z.string()),
  }),
);
export type LeaseExtendResult = z.infer<typeof LeaseExtendResultSchema>;

/**
 * Adds time to a Slurm lease: the record is replaced whole with the longer total, and when the last segment
 * was not going to renew (its time was the lease's last), the segment it would have asked for is submitted
 * here, chained after it. A released lease is refused: its segments are gone or going, and nothing renews it.
 */
export const leaseExtendOp = defineOp({
  name: "lease-extend",
  input: deferred(() => z.object({ lease: z.string(), addSeconds: z.int().check(z.positive()) })),
  result: LeaseExtendResultSchema,
  run: extend,
});

async function extend(env: OpEnv, args: { lease: string; addSeconds: number }): Promise<LeaseExtendResult> {
  const { root } = env;
  const before = requireActiveSlurmLease(requireLease(root, args.lease));
  const plans = await planParts(env, before, args.addSeconds);
  const all = await submitAllOrNone(env, extendLease(before, args.addSeconds), plans);
  const [submitted = null, ...alsoSubmitted] = all;
  const plan = plans.find((p) => p.kind === "none") ?? plans[0];
  // Add to what is there now, under the lease's lock: a release while sbatch ran must win, and two extends add up.
  const after = updateLease(root, before.id, (current) =>
    current.kind === "slurm" && current.state === "active" ? extendLease(current, args.addSeconds) : undefined,
  );
  if (after.kind !== "slurm" || after.state !== "active") {
    await withdrawSegments(env.remote, leasePaths(root, before.id), all);
    throw released(before.id);
  }
  const why = submitted === null && plan?.kind === "none" ? plan.why : null;
  return { lease: after, addedSeconds: args.addSeconds, submitted, alsoSubmitted, why };
}

/**
 * The segments the parts' plans ask for, all or none: when Slurm refuses one, those submitted before it are
 * withdrawn, so that a failed extend leaves the lease as it was (the total unchanged, no part extended alone).
 */
async function submitAllOrNone(env: OpEnv, longer: SlurmLease, plans: readonly ExtensionPlan[]): Promise<Segment[]> {
  const submitted: Segment[] = [];
  try {
    for (const plan of plans) {
      if (plan.kind === "submit")
        submitted.push(await submitSegment(env.remote, env.root, longer, plan.segment, by(env), env.now()));
    }
  } catch (error) {
    await withdrawSegments(env.remote, leasePaths(env.root, longer.id), submitted);
    throw error;
  }
  return submitted;
}

/**
 * planExtension for each part of the lease (the lease itself, without parts), from its last job's state; a segment
 * to submit is fitted to the site as it is now (the partition's MaxTime, the reservations), as a renewal is.
 */
async function planParts(env: OpEnv, lease: SlurmLease, addSeconds: number): Promise<ExtensionPlan[]> {
  const segments = readSegments(leasePaths(env.root, lease.id));
  const parts = partsOf(lease);
  const own = partNumbers(parts).map((part) => segmentsOfPart(segments, (s) => s.n, part, parts));
  const lasts = own.flatMap((s) => s.at(-1)?.jobId ?? []);
  const jobs = await jobStatus(env.remote, lasts);
  const nowEpoch = Math.floor(env.now().getTime() / 1000);
  const longer = extendLease(lease, addSeconds);
  let site: SegmentSite | undefined;
  const plans: ExtensionPlan[] = [];
  for (const part of own) {
    const last = part.at(-1);
    const job = jobs.find((j) => j.jobId === last?.jobId);
    const plan = planExtension(lease, addSeconds, part, hasEnded(job));
    if (plan.kind === "none" || !last) {
      plans.push(plan);
      continue;
    }
    site ??= await readSegmentSite(env.remote, lease.request.partition);
    const clock = { nowEpoch, endsAtEpoch: expectedEnd(job, last, nowEpoch) };
    plans.push({ kind: "submit", segment: fitSegmentToSite(plan.segment, longer, segments, site, clock) });
  }
  return plans;
}

/** When the last job ends: as Slurm expects it (squeue's end time), else its walltime from now; now if it ended. */
function expectedEnd(job: JobStatus | undefined, last: Segment, nowEpoch: number): number {
  if (hasEnded(job)) return nowEpoch;
  return job?.end?.kind === "at" ? Math.max(nowEpoch, job.end.epoch) : nowEpoch + last.wallSeconds;
}

function requireActiveSlurmLease(lease: Lease): SlurmLease {
  if (lease.kind !== "slurm") {
    throw new RvError("usage", `lease ${lease.id} is a local lease: it has no time limit to extend`, {
      hint: `it holds its GPUs until released: rv lease release ${lease.id}`,
    });
  }
  if (lease.state !== "active") throw released(lease.id);
  return lease;
}

function released(id: string): RvError {
  return new RvError("lease_released", `lease ${id} was released: there is nothing left to extend`, {
    hint: `start a new one: rv lease up --partition ... --name ${id}-2`,
  });
}

/** Gone from squeue and sacct counts as ended too: Slurm no longer knows it, so nothing can run after it. */
function hasEnded(job: JobStatus | undefined): boolean {
  return !job?.state || isFinished(job.state.kind);
}

function by(env: OpEnv): string {
  return `rv lease extend on ${env.host}`;
}
