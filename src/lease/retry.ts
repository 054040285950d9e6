import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";

/**
 * A lease's failures in a row (`retry.json`): each job that died before its time, each race that ended with no
 * winner, each submission Slurm refused, since a job of the lease last held its GPUs. The lease's supervisor
 * tries again after a backoff that grows with each failure; after PAUSE_AFTER_FAILURES in a row it stops and
 * the lease is paused, with the reason, until `rv lease resume`. A lease that fails the same way again and
 * again (a script that cannot start, an account out of SUs) so stops asking Slurm instead of flooding its queue.
 */
export const RetrySchema = deferred(() =>
  z.object({
    v: z.literal(1),
    failures: z.array(
      z.object({
        /** What failed, so that a failure seen by several supervisors counts once: `segment 3`, `race 2`. */
        key: z.string(),
        at: z.string(),
        what: z.string(),
        /** The part of a lease of parts that failed: its failures in a row are its own; absent: the lease's. */
        part: z.optional(z.int().check(z.gte(0))),
      }),
    ),
    paused: z.nullable(z.object({ at: z.string(), why: z.string() })),
  }),
);
export type Retry = z.infer<typeof RetrySchema>;

/** How long to wait after the first, second and third failure in a row before trying again. */
export const RETRY_BACKOFF_SECONDS = [0, 30, 120] as const;
export const PAUSE_AFTER_FAILURES = RETRY_BACKOFF_SECONDS.length + 1;

export const NO_FAILURES: Retry = { v: 1, failures: [], paused: null };

export type RetryStep =
  | { kind: "try" }
  | { kind: "wait"; untilEpoch: number; failures: number; why: string }
  | { kind: "paused"; why: string };

export type Failure = { key: string; what: string; part?: number };

/** A failure of `part` of a lease of parts, counted in that part's row; absent part: the lease's own. */
export function ofPart(failure: Failure, part: number | undefined): Failure {
  return part === undefined ? failure : { ...failure, part };
}

/**
 * The record with one more failure (once per key); the PAUSE_AFTER_FAILURES-th in a row (of the lease, or of
 * the failure's part in a lease of parts) pauses the lease.
 */
export function withFailure(retry: Retry, failure: Failure, now: Date): Retry {
  if (retry.paused || retry.failures.some((f) => f.key === failure.key)) return retry;
  const failures = [...retry.failures, { ...failure, at: now.toISOString() }];
  const inARow = failuresOf(failures, failure.part).length;
  if (inARow < PAUSE_AFTER_FAILURES) return { ...retry, failures };
  const why = `${inARow} failures in a row, the last: ${failure.what}`;
  return { ...retry, failures, paused: { at: now.toISOString(), why } };
}

/**
 * Whether a supervisor may submit again now, must wait out the backoff, or must leave a paused lease alone.
 * `part`: for one part of a lease of parts, whose backoff counts that part's failures alone (two parts lost with
 * one node are not two failures in a row of either).
 */
export function retryStep(retry: Retry, nowEpoch: number, part?: number): RetryStep {
  if (retry.paused) return { kind: "paused", why: retry.paused.why };
  const failures = failuresOf(retry.failures, part);
  const last = failures.at(-1);
  if (!last) return { kind: "try" };
  const backoff = RETRY_BACKOFF_SECONDS[failures.length - 1] ?? 0;
  const untilEpoch = Math.floor(Date.parse(last.at) / 1000) + backoff;
  return untilEpoch > nowEpoch
    ? { kind: "wait", untilEpoch, failures: failures.length, why: last.what }
    : { kind: "try" };
}

/** The record once `part` (or, absent, the lease) holds its GPUs again: its failures are no longer in a row. */
export function clearedFailures(retry: Retry, part?: number): Retry {
  if (part === undefined) return retry.failures.length === 0 && retry.paused === null ? retry : NO_FAILURES;
  // A pause stays: another part holding must not set a part that keeps failing going again.
  if (failuresOf(retry.failures, part).length === 0) return retry;
  return { ...retry, failures: retry.failures.filter((f) => f.part !== part) };
}

function failuresOf<F extends { part?: number }>(failures: readonly F[], part: number | undefined): F[] {
  return part === undefined ? [...failures] : failures.filter((f) => f.part === part);
}

/**
 * What one pass changed (`before` to `after`) applied to the record as it is now (`current`), which another
 * supervisor may have written meanwhile: the failures it cleared are removed by key, those it added are added
 * again through withFailure (once per key, and a pause when the merged row is long enough), a pause it lifted
 * stays lifted. Neither pass's failures are lost.
 */
export function mergedRetry(current: Retry, before: Retry, after: Retry): Retry {
  const keys = (r: Retry) => new Set(r.failures.map((f) => f.key));
  const [had, has] = [keys(before), keys(after)];
  const cleared = new Set([...had].filter((key) => !has.has(key)));
  const lifted = before.paused !== null && after.paused === null;
  const kept: Retry = {
    ...current,
    failures: current.failures.filter((f) => !cleared.has(f.key)),
    paused: lifted ? null : current.paused,
  };
  const added = after.failures.filter((f) => !had.has(f.key));
  return added.reduce((retry, { at, ...failure }) => withFailure(retry, failure, new Date(at)), kept);
}
