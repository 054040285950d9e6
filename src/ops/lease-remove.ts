import { lstatSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { deferred } from "../deferred.ts";
import { type Lease, leasePaths, listEntries, listRecordKeys, removeLeaseDir } from "../fsqueue/index.ts";
import { readRunnerViews, removalRefusal, requireLease } from "../lease/index.ts";
import { z } from "../zod.ts";
import { observerFor } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";

/** A lease that goes (or would): its directory, the tasks in it, and how much disk it frees. */
const RemovalSchema = deferred(() =>
  z.object({
    id: z.string(),
    kind: z.enum(["local", "slurm"]),
    dir: z.string(),
    tasks: z.object({
      /** Waiting or claimed: in a released lease, tasks that will not run now. */
      unfinished: z.int(),
      finished: z.int(),
      /** Put away by `rv clean`. */
      archived: z.int(),
    }),
    bytes: z.int(),
  }),
);

/**
 * `rv lease rm`: released leases go, their directories (queue, records, logs) with them. Every lease named is
 * checked before any goes: one that is active, or has a runner alive, leaves them all where they are.
 */
export const leaseRemoveOp = defineOp({
  name: "lease-remove",
  input: deferred(() =>
    z.object({ leases: z.array(z.string()).check(z.minLength(1)), dryRun: z._default(z.boolean(), false) }),
  ),
  result: deferred(() => z.object({ dryRun: z.boolean(), leases: z.array(RemovalSchema) })),
  run(env, input) {
    const leases = input.leases.map((id) => requireLease(env.root, id));
    for (const lease of leases) {
      const refusal = removalRefusal(lease, readRunnerViews(leasePaths(env.root, lease.id), observerFor(env)));
      if (refusal) throw refusal;
    }
    const removals = leases.map((lease) => describe(env, lease));
    if (!input.dryRun) for (const lease of leases) removeLeaseDir(env.root, lease.id);
    return { dryRun: input.dryRun, leases: removals };
  },
});

function describe(env: OpEnv, lease: Lease): z.infer<typeof RemovalSchema> {
  const p = leasePaths(env.root, lease.id);
  const claimed = listEntries(p.claimed).flatMap((owner) => listRecordKeys(join(p.claimed, owner)));
  return {
    id: lease.id,
    kind: lease.kind,
    dir: p.dir,
    tasks: {
      unfinished: listRecordKeys(p.inbox).length + claimed.length,
      finished: listRecordKeys(p.done).length,
      archived: listRecordKeys(p.archive).length,
    },
    bytes: sizeOf(p.dir),
  };
}

/** Bytes under a directory, its files' sizes summed; symbolic links are not followed. */
function sizeOf(path: string): number {
  const stat = lstatSync(path, { throwIfNoEntry: false });
  if (!stat?.isDirectory()) return stat?.size ?? 0;
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}
