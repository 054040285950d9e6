import { z } from "zod";
import { listLeases } from "../lease/index.ts";
import { isLeaseLive } from "./observer.ts";
import { defineOp } from "./op.ts";
import { LeaseSummarySchema, readSummary } from "./summary.ts";

export const LeaseRowSchema = z.object({
  id: z.string(),
  kind: z.enum(["local", "slurm"]),
  state: z.enum(["active", "released"]),
  createdAt: z.string(),
  /** A runner of it beats now. */
  live: z.boolean(),
  /** Runners and tasks at a glance; null when not asked for (choosing a lease needs only the rest). */
  summary: LeaseSummarySchema.nullable(),
});
export type LeaseRow = z.infer<typeof LeaseRowSchema>;

/** `rv lease ls`, and the leases `rv submit` chooses among when none is named. */
export const leaseListOp = defineOp({
  name: "lease-list",
  input: z.object({ summaries: z.boolean().default(true) }),
  result: z.object({ leases: z.array(LeaseRowSchema) }),
  run(env, input) {
    const leases = listLeases(env.root).map((lease) => ({
      id: lease.id,
      kind: lease.kind,
      state: lease.state,
      createdAt: lease.createdAt,
      live: isLeaseLive(env, lease),
      summary: input.summaries ? readSummary(env, lease.id) : null,
    }));
    return { leases };
  },
});
