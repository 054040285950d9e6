import { deferred } from "../deferred.ts";
import { type TaskView, TaskViewSchema } from "../lease/state.ts";
import { z } from "../zod.ts";
import { waitForTasks } from "./follow.ts";
import { defineOp, type Sink } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { selectedViews } from "./select.ts";
import { tallyOf } from "./wait-tally.ts";

/**
 * `rv wait`: until the selected tasks end (with --all, every task of the leases in scope, finished ones included:
 * an earlier failure counts), the deadline passes, or every unfinished one is a task that can never start. One
 * call for the whole wait: on a cluster it is one ssh channel, not a loop of calls. With `progress`, it sends its
 * tally (WaitTallySchema) through the sink as it changes, for a progress line.
 */
export const waitOp = defineOp({
  name: "wait",
  input: deferred(() =>
    z.object({
      select: TaskSelectionSchema,
      timeoutMs: z._default(z.nullable(z.int().check(z.positive())), null),
      progress: z._default(z.boolean(), false),
    }),
  ),
  result: deferred(() =>
    z.object({
      tasks: z.array(z.nullable(TaskViewSchema)),
      timedOut: z.boolean(),
      stopped: z.boolean(),
      cannotStart: z.array(z.object({ id: z.string(), why: z.string() })),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  async run(env, input) {
    const { views, elsewhere } = selectedViews(env, input.select, () => true);
    const refs = views.map((v) => ({ lease: v.lease, id: v.id }));
    const waited = await waitForTasks(env, refs, {
      seen: views,
      ...(input.timeoutMs !== null && { timeoutMs: input.timeoutMs }),
      ...(input.progress && { onViews: progressSender(env.sink) }),
    });
    return { ...waited, tasks: waited.views.map((v) => v ?? null), elsewhere };
  },
});

/** Sends the tally when it changed since the last one sent: once a second would say the same thing again. */
function progressSender(sink: Sink): (views: readonly (TaskView | undefined)[]) => void {
  let last = "";
  return (views) => {
    const tally = tallyOf(views);
    const text = JSON.stringify(tally);
    if (text !== last) sink.progress(tally);
    last = text;
  };
}
