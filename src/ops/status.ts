import { deferred } from "../deferred.ts";
import { SqueueJobSchema } from "../slurm/parse/squeue.ts";
import { SshareRowSchema } from "../slurm/parse/sshare.ts";
import { GpuPoolSchema } from "../slurm/resources.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";
import { LeaseSummarySchema, leasesInScope, readSummary } from "./summary.ts";

/** The cluster at a glance for this user: account and fairshare, storage, the queue, the GPUs. */
export const SiteStatusSchema = deferred(() =>
  z.object({
    host: z.string(),
    user: z.string(),
    account: z.nullable(z.extend(z.pick(SshareRowSchema, { fairShare: true, rawUsage: true }), { name: z.string() })),
    storage: z.object({ root: z.string(), freeBytes: z.number(), totalBytes: z.number() }),
    jobs: z.array(
      z.pick(SqueueJobSchema, {
        jobId: true,
        name: true,
        partition: true,
        state: true,
        elapsed: true,
        timeLeft: true,
        nodes: true,
        reason: true,
      }),
    ),
    pools: z.array(GpuPoolSchema),
  }),
);
export type SiteStatus = z.infer<typeof SiteStatusSchema>;

/**
 * `rv status`: each lease in scope at a glance and, where Slurm is (`slurm`), the site: one round trip to a cluster
 * for all of it.
 */
export const statusOp = defineOp({
  name: "status",
  input: deferred(() =>
    z.object({
      lease: z._default(z.nullable(z.string()), null),
      slurm: z._default(z.boolean(), false),
      account: z._default(z.nullable(z.string()), null),
    }),
  ),
  result: deferred(() => z.object({ leases: z.array(LeaseSummarySchema), site: z.nullable(SiteStatusSchema) })),
  async run(env, input) {
    const leases = leasesInScope(env, input.lease).map((lease) => readSummary(env, lease));
    // The Slurm queries and their parsers load only where Slurm is: a local `rv status` never builds their schemas.
    const site = input.slurm ? await (await import("./site.ts")).readSite(env, input.account) : null;
    return { leases, site };
  },
});
