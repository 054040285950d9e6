import { z } from "zod";
import { RvError } from "../errors.ts";
import {
  leasePaths,
  newRunnerId,
  nextAttempt,
  publishTask,
  readDoneOne,
  readEvents,
  readHeartbeats,
  recoverClaims,
  requestControl,
} from "../fsqueue/index.ts";
import { TaskStateSchema, type TaskView } from "../lease/index.ts";
import { killOrphans } from "../runner/index.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { selectedViews } from "./select.ts";

const RequeueOutcomeSchema = z.enum(["requeued", "requeue-requested", "already-pending"]);

/**
 * Finished tasks are published again with the next attempt (their old `done/` record loses to the newer
 * attempt); a running task is interrupted by its runner and requeued; a lost task is recovered now.
 */
async function requeueOne(env: OpEnv, view: TaskView): Promise<z.infer<typeof RequeueOutcomeSchema>> {
  const p = leasePaths(env.root, view.lease);
  const now = env.now();
  const client = newRunnerId(`requeue-${env.host}`, process.pid);
  switch (view.state) {
    case "pending":
      return "already-pending";
    case "running":
      requestControl(p, view.id, "requeue", client, now);
      return "requeue-requested";
    case "lost": {
      const owner = view.runner ?? "";
      const hb = readHeartbeats(p).find((h) => h.runner === owner);
      if (hb?.host === env.host) await killOrphans(readEvents(p, owner));
      recoverClaims(p, owner, client, { host: env.host, now });
      return "requeued";
    }
    default: {
      const done = readDoneOne(p, view.id);
      if (!done) throw new RvError("not_found", `task ${view.id} has no record in done/`);
      // A person's requeue starts afresh: no backoff left to wait, the crash and retry counts back to 0.
      const next = nextAttempt(done.task, "asked");
      return publishTask(p, next) === "published" ? "requeued" : "already-pending";
    }
  }
}

/** `rv requeue`: a failed, cancelled, stuck or lost task goes back to the inbox as a new attempt. */
export const requeueOp = defineOp({
  name: "requeue",
  input: z.object({ select: TaskSelectionSchema }),
  result: z.object({
    tasks: z.array(
      z.object({ id: z.string(), lease: z.string(), from: TaskStateSchema, outcome: RequeueOutcomeSchema }),
    ),
    elsewhere: z.array(TaskRefSchema),
  }),
  async run(env, input) {
    // Named tasks each run again, whatever their state; a --tag takes only those that failed, were cancelled or lost.
    const { views, elsewhere } = selectedViews(env, input.select, (v) =>
      ["failed", "cancelled", "lost"].includes(v.state),
    );
    const tasks = [];
    for (const view of views) {
      tasks.push({ id: view.id, lease: view.lease, from: view.state, outcome: await requeueOne(env, view) });
    }
    return { tasks, elsewhere };
  },
});
