import { deferred } from "../deferred.ts";
import { type BadLease, BadLeaseSchema } from "../lease/bad-lease.ts";
import { listLeases } from "../lease/store.ts";
import { z } from "../zod.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { isLeaseLive } from "./observer.ts";
import { defineOp } from "./op.ts";
import { LeaseSummarySchema, readSummary } from "./summary.ts";

export const LeaseRowSchema = deferred(() =>
  z.object({
    id: z.string(),
    kind: z.enum(["local", "slurm"]),
    state: z.enum(["active", "released"]),
    createdAt: z.string(),
    /** A runner of it beats now. */
    live: z.boolean(),
    /** Runners and tasks at a glance; null when not asked for (choosing a lease needs only the rest). */
    summary: z.nullable(LeaseSummarySchema),
  }),
);
export type LeaseRow = z.infer<typeof LeaseRowSchema>;

/**
 * `rv lease ls`, and the leases `rv submit` chooses among when none is named. `unreadable`: the leases whose record
 * cannot be read, left out of `leases` (their queues stay where they are).
 */
export const leaseListOp = defineOp({
  name: "lease-list",
  input: deferred(() => z.object({ summaries: z._default(z.boolean(), true) })),
  result: deferred(() => z.object({ leases: z.array(LeaseRowSchema), unreadable: z.array(BadLeaseSchema) })),
  run(env, input) {
    const unreadable: BadLease[] = [];
    const warn = warnOfBadLease(env);
    const onBad = (bad: BadLease) => {
      warn(bad);
      unreadable.push(bad);
    };
    const leases = listLeases(env.root, onBad).map((lease) => ({
      id: lease.id,
      kind: lease.kind,
      state: lease.state,
      createdAt: lease.createdAt,
      live: isLeaseLive(env, lease),
      summary: input.summaries ? readSummary(env, lease.id) : null,
    }));
    return { leases, unreadable };
  },
});
