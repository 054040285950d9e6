import { deferred } from "../deferred.ts";
import { listLeases } from "../lease/store.ts";
import { z } from "../zod.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { defineOp } from "./op.ts";
import { CandidatesSchema, candidatesFor, referableTasks } from "./refs.ts";

/**
 * What this place holds that each reference could mean, for the other place to resolve them as if it held both:
 * how `rv logs 1` finds the newest task, here or on the cluster, in one round trip.
 */
export const candidatesOp = defineOp({
  name: "candidates",
  input: deferred(() => z.object({ refs: z.array(z.string()) })),
  result: deferred(() => z.object({ candidates: z.array(CandidatesSchema) })),
  run(env, input) {
    const referable = referableTasks(
      env.root,
      listLeases(env.root, warnOfBadLease(env)).map((l) => l.id),
      input.refs,
    );
    return { candidates: input.refs.map((ref) => candidatesFor(referable, ref)) };
  },
});
