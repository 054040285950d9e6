import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  type Done,
  type LeasePaths,
  leasePaths,
  newRunnerId,
  nextAttempt,
  publishTask,
  readDoneOne,
  readEvents,
  readHeartbeats,
  readPickedCopies,
  readUnreadableDone,
  recoverClaims,
  requestControl,
  withFileLock,
} from "../fsqueue/index.ts";
import { TaskStateSchema, type TaskView } from "../lease/index.ts";
import { killOrphans } from "../runner/index.ts";
import { z } from "../zod.ts";
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
    case "blocked":
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
    case "unknown": {
      // Its done record cannot be read: the task it still holds whole runs again; without one, nothing says what to run.
      const task = readUnreadableDone(p, view.id)?.task;
      if (!task) {
        throw new RvError("bad_record", `task ${view.id} cannot be requeued: ${view.reason}`, {
          hint: "nothing in the record says what to run: look at it, or remove it to forget the task",
        });
      }
      return publishTask(p, nextAttempt(task, "asked")) === "published" ? "requeued" : "already-pending";
    }
    default: {
      const done = readDoneOne(p, view.id);
      // dep_failed is known before a runner records it: such a task is still in the inbox.
      if (!done && view.state === "dep_failed") return "already-pending";
      if (!done) throw new RvError("not_found", `task ${view.id} has no record in done/`);
      // A person's requeue starts afresh: no backoff left to wait, the crash and retry counts back to 0.
      const next = nextAttempt(done.task, "asked");
      return publishTask(p, next) === "published" ? "requeued" : "already-pending";
    }
  }
}

type DependentRequeued = { id: string; lease: string; from: "dep_failed"; outcome: "requeued" };

/**
 * The tasks of `lease` recorded `dep_failed` because one of `ids` failed, and theirs because they did: with those
 * back in the inbox they may start after all, so they go back too (blocked until their dependencies succeed).
 */
function requeueDependents(env: OpEnv, lease: string, ids: readonly string[]): DependentRequeued[] {
  const p = leasePaths(env.root, lease);
  // Runners judge and record dep_failed under this lock (runner/lifecycle.ts): one that judged before `ids` were
  // back has written its record by now, and one after sees them pending and records nothing.
  return withFileLock(p.dependenciesLock, () => republishDependents(p, lease, ids));
}

function republishDependents(p: LeasePaths, lease: string, ids: readonly string[]): DependentRequeued[] {
  // Only records that are still their task's latest copy: a dependent requeued before (and perhaps running now)
  // keeps its old dep_failed record in done/ until its new attempt ends.
  const byDependency = new Map<string, Done[]>();
  for (const copy of readPickedCopies(p, (copy) => copy.state === "done" && copy.done.depFailed !== undefined)) {
    if (copy.state !== "done" || copy.done.depFailed === undefined) continue;
    byDependency.set(copy.done.depFailed, [...(byDependency.get(copy.done.depFailed) ?? []), copy.done]);
  }
  const requeued: DependentRequeued[] = [];
  const failed = [...ids];
  for (let id = failed.pop(); id !== undefined; id = failed.pop()) {
    for (const dependent of byDependency.get(id) ?? []) {
      if (publishTask(p, nextAttempt(dependent.task, "asked")) !== "published") continue;
      requeued.push({ id: dependent.task.id, lease, from: "dep_failed", outcome: "requeued" });
      failed.push(dependent.task.id);
    }
  }
  return requeued;
}

/** `rv requeue`: a failed, cancelled, stuck or lost task goes back to the inbox as a new attempt. */
export const requeueOp = defineOp({
  name: "requeue",
  input: deferred(() => z.object({ select: TaskSelectionSchema })),
  result: deferred(() =>
    z.object({
      tasks: z.array(
        z.object({ id: z.string(), lease: z.string(), from: TaskStateSchema, outcome: RequeueOutcomeSchema }),
      ),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  async run(env, input) {
    // Named tasks each run again, whatever their state; a --tag takes only those that failed, were cancelled or lost.
    const { views, elsewhere } = selectedViews(env, input.select, (v) =>
      ["failed", "cancelled", "lost", "dep_failed"].includes(v.state),
    );
    const tasks = [];
    const back = new Map<string, string[]>();
    for (const view of views) {
      const outcome = await requeueOne(env, view);
      tasks.push({ id: view.id, lease: view.lease, from: view.state, outcome });
      if (outcome === "requeued") back.set(view.lease, [...(back.get(view.lease) ?? []), view.id]);
    }
    // Their dependents once all of them are back, each lease read once: not once for each task requeued.
    const listed = new Set(tasks.map((t) => t.id));
    for (const [lease, ids] of back) {
      tasks.push(...requeueDependents(env, lease, ids).filter((dependent) => !listed.has(dependent.id)));
    }
    return { tasks, elsewhere };
  },
});
