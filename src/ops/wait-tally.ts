import { deferred } from "../deferred.ts";
import { isTerminal, type TaskView } from "../lease/state.ts";
import { z } from "../zod.ts";

/** How long the ended tasks of one outcome ran, in all: a mean without shipping every duration. */
const RanSchema = deferred(() => z.object({ count: z.int().check(z.gte(0)), totalMs: z.number().check(z.gte(0)) }));

/**
 * Where a wait stands, as the wait op sends it while it runs (`rv wait` on a terminal draws it). `failed` counts
 * every end but success (failed, cancelled, dependency failed, unknown, gone). `ran` sums the run time of the ended tasks
 * that started, apart for successes and the rest: a task that fails at once says little of how long one takes.
 */
export const WaitTallySchema = deferred(() =>
  z.object({
    total: z.int().check(z.gte(0)),
    succeeded: z.int().check(z.gte(0)),
    failed: z.int().check(z.gte(0)),
    running: z.int().check(z.gte(0)),
    ran: z.object({ succeeded: RanSchema, failed: RanSchema }),
  }),
);
export type WaitTally = z.infer<typeof WaitTallySchema>;

/** What a tally reads of a task. */
export type TalliedView = Pick<TaskView, "state" | "startedAt" | "endedAt">;

/** The tally of the tasks as last seen; a task no longer found has ended (as the wait counts it). */
export function tallyOf(views: readonly (TalliedView | undefined)[]): WaitTally {
  const tally: WaitTally = {
    total: views.length,
    succeeded: 0,
    failed: 0,
    running: 0,
    ran: { succeeded: { count: 0, totalMs: 0 }, failed: { count: 0, totalMs: 0 } },
  };
  for (const view of views) {
    if (view?.state === "running") tally.running += 1;
    if (view && !isTerminal(view.state)) continue;
    const outcome = view?.state === "succeeded" ? "succeeded" : "failed";
    tally[outcome] += 1;
    const ranMs = view ? runTimeMs(view) : null;
    if (ranMs !== null) {
      tally.ran[outcome].count += 1;
      tally.ran[outcome].totalMs += ranMs;
    }
  }
  return tally;
}

/** Both ends come from the runner's clock, so the difference is sound; a task that never started has none. */
function runTimeMs(view: TalliedView): number | null {
  if (!view.startedAt || !view.endedAt) return null;
  return Math.max(0, Date.parse(view.endedAt) - Date.parse(view.startedAt));
}
