import { homedir } from "node:os";
import { z } from "zod";
import { requireLease } from "../../../lease/index.ts";
import { publishTasks } from "../../commands/submit.ts";
import { TaskSpecSchema } from "../../taskspec.ts";
import type { ClusterSide } from "../side.ts";

/** Task specs travel in the request body (stdin), so `--env` values never show in a process list. */
export const SubmitArgsSchema = z.object({ lease: z.string(), specs: z.array(TaskSpecSchema).min(1) });
export type SubmitArgs = z.infer<typeof SubmitArgsSchema>;

export interface SubmitResult {
  lease: string;
  tasks: { id: string; name: string | null }[];
  warnings: string[];
}

/** A task submitted from a laptop runs in the cluster home unless it names its own `--cwd`. */
export function submitOp(side: ClusterSide, args: SubmitArgs): SubmitResult {
  requireLease(side.ctx.root, args.lease);
  const { tasks, notes } = publishTasks(side.ctx, side.config, args.lease, args.specs, homedir());
  return { lease: args.lease, tasks: tasks.map((t) => ({ id: t.id, name: t.name ?? null })), warnings: notes };
}
