import { z } from "zod";
import {
  archiveDone,
  type Done,
  deleteArchived,
  deleteDone,
  latestState,
  leasePaths,
  readArchive,
  readSnapshot,
} from "../fsqueue/index.ts";
import { isTerminal, readLeaseState } from "../lease/index.ts";
import { observerFor } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { leasesInScope } from "./summary.ts";

const CleanedSchema = z.object({
  id: z.string(),
  lease: z.string(),
  name: z.string().nullable(),
  state: z.string(),
  endedAt: z.string(),
  /** It had been archived before (a `--delete` takes those too). */
  archived: z.boolean().optional(),
});

/** Which finished tasks a clean takes: ended before `before` (epoch ms), with every tag asked for. */
export interface CleanFilter {
  before: number | null;
  tags: readonly string[];
}

export function cleanable(done: Pick<Done, "endedAt" | "task">, filter: CleanFilter): boolean {
  if (filter.before !== null && Date.parse(done.endedAt) >= filter.before) return false;
  return filter.tags.every((tag) => done.task.tags.includes(tag));
}

/**
 * `rv clean`: finished tasks go to the lease's archive (their logs with them), or with `--delete` away for good.
 * Only what has ended: a task requeued since its done record is under way again and stays. A deletion spares a
 * task that an unfinished task still waits for (`--after`): it would wait forever.
 */
export const cleanOp = defineOp({
  name: "clean",
  input: z.object({
    lease: z.string().nullable().default(null),
    olderThanMs: z.number().int().nonnegative().nullable().default(null),
    tags: z.array(z.string()).default([]),
    delete: z.boolean().default(false),
    dryRun: z.boolean().default(false),
  }),
  result: z.object({
    cleaned: z.array(CleanedSchema),
    /** Finished tasks a deletion left alone, and why. */
    kept: z.array(CleanedSchema.extend({ why: z.string() })),
  }),
  run(env, input) {
    const filter = {
      before: input.olderThanMs === null ? null : env.now().getTime() - input.olderThanMs,
      tags: input.tags,
    };
    const cleaned: z.infer<typeof CleanedSchema>[] = [];
    const kept: (z.infer<typeof CleanedSchema> & { why: string })[] = [];
    for (const lease of leasesInScope(env, input.lease)) {
      const p = leasePaths(env.root, lease);
      const waitedFor = input.delete ? waitedForIn(env, lease) : new Set<string>();
      for (const copy of latestState(readSnapshot(p)).values()) {
        if (copy.state !== "done" || !cleanable(copy.done, filter)) continue;
        const { done } = copy;
        const row = rowOf(done, lease);
        if (waitedFor.has(done.task.id)) {
          kept.push({ ...row, why: "an unfinished task runs --after it" });
          continue;
        }
        if (!input.dryRun) (input.delete ? deleteDone : archiveDone)(p, done);
        cleaned.push(row);
      }
      if (!input.delete) continue;
      for (const done of readArchive(p).filter((d) => cleanable(d, filter))) {
        if (!input.dryRun) deleteArchived(p, done);
        cleaned.push({ ...rowOf(done, lease), archived: true });
      }
    }
    return { cleaned: cleaned.sort((a, b) => a.id.localeCompare(b.id)), kept };
  },
});

function rowOf(done: Done, lease: string): z.infer<typeof CleanedSchema> {
  const state = done.depFailed === undefined ? done.state : "dep_failed";
  return { id: done.task.id, lease, name: done.task.name ?? null, state, endedAt: done.endedAt };
}

/** The tasks that unfinished tasks of the lease wait for. */
function waitedForIn(env: OpEnv, lease: string): Set<string> {
  const tasks = readLeaseState(leasePaths(env.root, lease), observerFor(env)).tasks;
  return new Set(tasks.filter((t) => !isTerminal(t.state)).flatMap((t) => t.after));
}
