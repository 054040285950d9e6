import { deferred } from "../deferred.ts";
import { leasePaths } from "../fsqueue/index.ts";
import { tasksTooLarge } from "../lease/runner-health.ts";
import { leasesToShow } from "../lease/select.ts";
import { isLiveRunner, type LeaseCounts, RunnerViewSchema, readLeaseCounts, TaskStateSchema } from "../lease/state.ts";
import { readLease, requireLease } from "../lease/store.ts";
import { z } from "../zod.ts";
import { leaseFacts, observerFor } from "./observer.ts";
import type { OpEnv } from "./op.ts";

/** A lease at a glance: its runners, its tasks counted by state, its GPUs busy and free. */
export const LeaseSummarySchema = deferred(() =>
  z.object({
    lease: z.string(),
    state: z.enum(["active", "released"]),
    runners: z.array(RunnerViewSchema),
    counts: z.record(TaskStateSchema, z.number()),
    gpus: z.object({ total: z.number(), busy: z.number(), free: z.number() }),
    bad: z.number(),
    /** Pending tasks no runner of the lease will ever run: each asks for more than any runner has (tasksTooLarge). */
    tooLarge: z._default(z.array(z.string()), []),
  }),
);
export type LeaseSummary = z.infer<typeof LeaseSummarySchema>;

export function summarize(lease: string, leaseState: "active" | "released", state: LeaseCounts): LeaseSummary {
  const live = state.runners.filter(isLiveRunner);
  const total = live.reduce((sum, r) => sum + r.gpus.length, 0);
  const free = live.reduce((sum, r) => sum + r.freeGpus.length, 0);
  return {
    lease,
    state: leaseState,
    runners: state.runners,
    counts: state.counts,
    gpus: { total, busy: total - free, free },
    bad: state.bad.length,
    tooLarge: tasksTooLarge(state.runners),
  };
}

export function readSummary(env: OpEnv, lease: string): LeaseSummary {
  const record = readLease(env.root, lease);
  // Counts alone: of a long history's done records, only the done index's header is read.
  const state = readLeaseCounts(leasePaths(env.root, lease), observerFor(env));
  return summarize(lease, record?.state ?? "active", state);
}

/** The leases a reading op covers: the one named, else every active one (every one when none is active). */
export function leasesInScope(env: OpEnv, named: string | null | undefined): string[] {
  if (named) requireLease(env.root, named);
  return leasesToShow(named ?? undefined, leaseFacts(env));
}
