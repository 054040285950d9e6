import { cancelOp, requeueOp, showOp, silentSink, type TaskDetail } from "../ops/index.ts";
import type { LiveFeed } from "./feed.ts";
import { WEB_VERSION, type WebAction } from "./schema.ts";

export type TaskAction = WebAction["action"];

/**
 * Cancel or requeue one task where its lease lives, through the ops `rv cancel` and `rv requeue` run (a cancel
 * answers once the task has stopped, up to its kill grace).
 */
export async function actOnTask(feed: LiveFeed, id: string, action: TaskAction): Promise<WebAction> {
  const { place, lease } = await feed.placeOfTask(id);
  const select = { refs: [id], lease };
  const quiet = { sink: silentSink };
  const { tasks } =
    action === "cancel"
      ? await place.call(cancelOp, { select }, quiet)
      : await place.call(requeueOp, { select }, quiet);
  // A requeue lists the dependents it sent back too: the answer is the task's own.
  const outcome = tasks.find((t) => t.id === id)?.outcome ?? "not found";
  return { v: WEB_VERSION, id, action, outcome };
}

/** Everything `rv show` says of a task, its attempts among it. */
export async function taskDetail(feed: LiveFeed, id: string): Promise<TaskDetail | null> {
  const { place, lease } = await feed.placeOfTask(id);
  return (await place.call(showOp, { select: { refs: [id], lease } }, { sink: silentSink })).task;
}
