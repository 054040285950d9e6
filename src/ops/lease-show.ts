import { deferred } from "../deferred.ts";
import { LeaseSchema } from "../fsqueue/index.ts";
import { requireLease, SlurmLeaseLookSchema } from "../lease/index.ts";
import { z } from "../zod.ts";
import { observeSlurmLease } from "./lease-supervise.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { LeaseSummarySchema, readSummary } from "./summary.ts";

const SlurmPartSchema = deferred(() => z.omit(SlurmLeaseLookSchema, { lease: true }));

export const LeaseShowSchema = deferred(() =>
  z.object({
    lease: LeaseSchema,
    summary: LeaseSummarySchema,
    /** A Slurm lease's segments as Slurm sees them now, its phase, its race; null for a local lease. */
    slurm: z.nullable(SlurmPartSchema),
  }),
);
export type LeaseShow = z.infer<typeof LeaseShowSchema>;

/**
 * A lease as it stands. A Slurm lease is read (its supervisor is its watchdogs, docs/healing.md); the look
 * supervises only when an act has been due for too long (observeSlurmLease).
 */
export async function showLease(env: OpEnv, id: string, alloc: boolean): Promise<LeaseShow> {
  const record = requireLease(env.root, id);
  if (record.kind !== "slurm") return { lease: record, summary: readSummary(env, id), slurm: null };
  const { lease, ...slurm } = await observeSlurmLease(env, id, { alloc, who: "rv lease show/why/up" });
  return { lease, summary: readSummary(env, id), slurm };
}

/** `rv lease show L`, `rv lease why L`, and each look of `rv lease up` while it waits. */
export const leaseShowOp = defineOp({
  name: "lease-show",
  input: deferred(() =>
    z.object({
      lease: z.string(),
      /** Also the race's decision and each job's script and Slurm output (`rv lease show --alloc`). */
      alloc: z._default(z.boolean(), false),
    }),
  ),
  result: LeaseShowSchema,
  run: (env, input) => showLease(env, input.lease, input.alloc),
});
