import { homedir } from "node:os";
import { z } from "zod";
import { requireLease } from "../../../lease/index.ts";
import { followTasks, publishTasks } from "../../commands/submit.ts";
import { TaskSpecSchema } from "../../taskspec.ts";
import type { ClusterSide } from "../side.ts";

export const RunArgsSchema = z.object({
  lease: z.string(),
  specs: z.array(TaskSpecSchema).min(1),
  /** Stream the task's output (`--follow`, `rv run`), or only wait for it (`--wait`). */
  follow: z.boolean(),
});
export type RunArgs = z.infer<typeof RunArgsSchema>;

/**
 * Submits on the cluster and stays with the tasks, as a local `rv submit --follow|--wait` does: the output
 * goes down the ssh session as it is written, and the exit status is the task's.
 */
export async function runOp(side: ClusterSide, args: RunArgs): Promise<number> {
  requireLease(side.ctx.root, args.lease);
  const { tasks, notes } = publishTasks(side.ctx, side.config, args.lease, args.specs, homedir());
  for (const task of tasks) side.ctx.io.out(`${task.id}\n`);
  for (const note of notes) side.ctx.io.err(`rv: warning: ${note}\n`);
  return followTasks(side.ctx, side.config, args.lease, tasks, args.follow);
}
