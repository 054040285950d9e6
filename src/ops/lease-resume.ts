import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { clearNotified, leasePaths } from "../fsqueue/index.ts";
import { NO_FAILURES, readRetry, requireLease, writeRetry } from "../lease/index.ts";
import { z } from "../zod.ts";
import { LeaseShowSchema, showLease } from "./lease-show.ts";
import { superviseSettled } from "./lease-supervise.ts";
import { defineOp } from "./op.ts";

/**
 * `rv lease resume L`: lifts a lease's pause (lease/retry.ts): its failures in a row are forgotten, and its
 * supervisor, run at once, races again or replaces the dead segment. The failure that paused it is seen by that supervisor
 * and counts as the first of a new run, which acts at once, as any first failure does.
 */
export const leaseResumeOp = defineOp({
  name: "lease-resume",
  input: deferred(() => z.object({ lease: z.string() })),
  result: LeaseShowSchema,
  async run(env, input) {
    const lease = requireLease(env.root, input.lease);
    if (lease.kind !== "slurm" || lease.state !== "active") {
      throw new RvError("usage", `lease ${lease.id} is not an active Slurm lease: there is nothing to resume`, {
        hint: "start a new one: rv lease up --gpu N",
      });
    }
    const p = leasePaths(env.root, lease.id);
    if (readRetry(p).paused === null) {
      throw new RvError("usage", `lease ${lease.id} is not paused`, {
        hint: `rv lease show ${lease.id} says where it stands`,
      });
    }
    writeRetry(p, NO_FAILURES);
    // Its pause was told as its end: an end after this resume is news again (rv notify).
    clearNotified(p, ["lease-ended"]);
    await superviseSettled(
      env,
      lease.id,
      { by: `rv lease resume on ${env.host}`, ending: null, self: null },
      { stayMs: 0 },
    );
    return showLease(env, lease.id, false);
  },
});
