import { deferred } from "../deferred.ts";
import { cancelPendingTask, leasePaths, newRunnerId, requestControl } from "../fsqueue/index.ts";
import { isQueued, isTerminal, type TaskView } from "../lease/index.ts";
import { z } from "../zod.ts";
import { waitForTasks } from "./follow.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { selectedViews } from "./select.ts";

const CancelOutcomeSchema = z.enum(["cancelled", "cancelling", "already-finished", "would-cancel"]);
export type CancelOutcome = z.infer<typeof CancelOutcomeSchema>;

/** Pending tasks are cancelled here and now; running ones through a request their runner acts on. */
function cancelOne(env: OpEnv, view: TaskView, client: string): CancelOutcome {
  if (isTerminal(view.state)) return "already-finished";
  const p = leasePaths(env.root, view.lease);
  const context = { host: env.host, now: env.now() };
  if (isQueued(view.state) && cancelPendingTask(p, view.id, client, context) === "cancelled") return "cancelled";
  requestControl(p, view.id, "cancel", client, context.now);
  return "cancelling";
}

/**
 * `rv cancel`: pending tasks never start; running ones are stopped with their process group (SIGTERM, then
 * SIGKILL after the grace), and the answer waits for that, up to the grace and a little more.
 */
export const cancelOp = defineOp({
  name: "cancel",
  input: deferred(() => z.object({ select: TaskSelectionSchema, dryRun: z._default(z.boolean(), false) })),
  result: deferred(() =>
    z.object({
      tasks: z.array(z.object({ id: z.string(), lease: z.string(), outcome: CancelOutcomeSchema })),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  async run(env, input) {
    const { views, elsewhere } = selectedViews(env, input.select, (v) => !isTerminal(v.state));
    const client = newRunnerId(`cancel-${env.host}`, process.pid);
    const tasks = views.map((view) => ({
      id: view.id,
      lease: view.lease,
      outcome: input.dryRun
        ? isTerminal(view.state)
          ? ("already-finished" as const)
          : ("would-cancel" as const)
        : cancelOne(env, view, client),
    }));
    const stopping = tasks.filter((t) => t.outcome === "cancelling");
    if (stopping.length > 0) {
      const { views: after } = await waitForTasks(env, stopping, { timeoutMs: env.config.runner.killGraceMs + 5000 });
      after.forEach((view, i) => {
        const task = stopping[i];
        if (task && view && isTerminal(view.state)) task.outcome = "cancelled";
      });
    }
    return { tasks, elsewhere };
  },
});
