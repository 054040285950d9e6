import { z } from "zod";
import { actOnTask } from "../../tui/act.ts";
import { readTuiSnapshot } from "../../tui/read.ts";
import { TaskActionSchema, type TuiAsk, TuiAskSchema, type TuiSnapshot } from "../../tui/snapshot.ts";
import type { ClusterSide } from "../side.ts";

export const TuiArgsSchema = TuiAskSchema;

/** One refresh of `rv tui` for the leases on the cluster: everything it shows, in one round trip. */
export function tuiOp(side: ClusterSide, args: TuiAsk): Promise<TuiSnapshot> {
  return readTuiSnapshot(side, args);
}

export const TaskActArgsSchema = z.object({
  lease: z.string(),
  taskId: z.string(),
  action: TaskActionSchema,
});
export type TaskActArgs = z.infer<typeof TaskActArgsSchema>;

/** A task action chosen in `rv tui`, done on the login node where the lease lives. */
export async function taskActOp(side: ClusterSide, args: TaskActArgs): Promise<{ message: string }> {
  return { message: await actOnTask(side.ctx, side.config, args) };
}
