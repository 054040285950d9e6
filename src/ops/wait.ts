import { z } from "zod";
import { TaskViewSchema } from "../lease/index.ts";
import { waitForTasks } from "./follow.ts";
import { defineOp } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { selectedViews } from "./select.ts";

/**
 * `rv wait`: until the selected tasks end (with --all, every task of the leases in scope, finished ones included:
 * an earlier failure counts), the deadline passes, or every unfinished one is a task that can never start. One
 * call for the whole wait: on a cluster it is one ssh channel, not a loop of calls.
 */
export const waitOp = defineOp({
  name: "wait",
  input: z.object({ select: TaskSelectionSchema, timeoutMs: z.number().int().positive().nullable().default(null) }),
  result: z.object({
    tasks: z.array(TaskViewSchema.nullable()),
    timedOut: z.boolean(),
    stopped: z.boolean(),
    cannotStart: z.array(z.object({ id: z.string(), why: z.string() })),
    elsewhere: z.array(TaskRefSchema),
  }),
  async run(env, input) {
    const { views, elsewhere } = selectedViews(env, input.select, () => true);
    const refs = views.map((v) => ({ lease: v.lease, id: v.id }));
    const waited = await waitForTasks(env, refs, input.timeoutMs === null ? {} : { timeoutMs: input.timeoutMs });
    return { ...waited, tasks: waited.views.map((v) => v ?? null), elsewhere };
  },
});
