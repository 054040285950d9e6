import { deferred } from "../deferred.ts";
import {
  archiveDone,
  type Done,
  deleteArchived,
  deleteDone,
  latestState,
  leasePaths,
  readArchive,
  readSnapshot,
  removeTaskSecrets,
  type TaskCopy,
} from "../fsqueue/index.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";
import { leasesInScope } from "./summary.ts";

const CleanedSchema = deferred(() =>
  z.object({
    id: z.string(),
    lease: z.string(),
    name: z.nullable(z.string()),
    state: z.string(),
    endedAt: z.string(),
    /** It had been archived before (a `--delete` takes those too). */
    archived: z.optional(z.boolean()),
  }),
);

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
  input: deferred(() =>
    z.object({
      lease: z._default(z.nullable(z.string()), null),
      olderThanMs: z._default(z.nullable(z.int().check(z.nonnegative())), null),
      tags: z._default(z.array(z.string()), []),
      delete: z._default(z.boolean(), false),
      dryRun: z._default(z.boolean(), false),
    }),
  ),
  result: deferred(() =>
    z.object({
      cleaned: z.array(CleanedSchema),
      /** Finished tasks a deletion left alone, and why. */
      kept: z.array(z.extend(CleanedSchema, { why: z.string() })),
    }),
  ),
  run(env, input) {
    const filter = {
      before: input.olderThanMs === null ? null : env.now().getTime() - input.olderThanMs,
      tags: input.tags,
    };
    const cleaned: z.infer<typeof CleanedSchema>[] = [];
    const kept: (z.infer<typeof CleanedSchema> & { why: string })[] = [];
    for (const lease of leasesInScope(env, input.lease)) {
      const p = leasePaths(env.root, lease);
      const copies = [...latestState(readSnapshot(p)).values()];
      const waitedFor = input.delete ? waitedForBy(copies) : new Set<string>();
      const spared = (row: z.infer<typeof CleanedSchema>) => {
        if (!waitedFor.has(row.id)) return false;
        kept.push({ ...row, why: "a task not yet recorded as ended runs --after it" });
        return true;
      };
      for (const copy of copies) {
        if (copy.state !== "done" || !cleanable(copy.done, filter)) continue;
        const row = rowOf(copy.done, lease);
        if (spared(row)) continue;
        if (!input.dryRun && !(input.delete ? deleteDone : archiveDone)(p, copy.done)) {
          kept.push({ ...row, why: "requeued meanwhile: it is under way again" });
          continue;
        }
        // Its end removed them; a file left by a crash between the two goes with the task.
        if (!input.dryRun) removeTaskSecrets(p, row.id);
        cleaned.push(row);
      }
      if (!input.delete) continue;
      for (const done of readArchive(p).filter((d) => cleanable(d, filter))) {
        const row = { ...rowOf(done, lease), archived: true };
        if (spared(row)) continue;
        if (!input.dryRun) deleteArchived(p, done);
        cleaned.push(row);
      }
    }
    return { cleaned: cleaned.sort((a, b) => a.id.localeCompare(b.id)), kept };
  },
});

function rowOf(done: Done, lease: string): z.infer<typeof CleanedSchema> {
  const state = done.depFailed === undefined ? done.state : "dep_failed";
  return { id: done.task.id, lease, name: done.task.name ?? null, state, endedAt: done.endedAt };
}

/**
 * The tasks that tasks still in the inbox or claimed run after: deleting one would leave them waiting for ever.
 * By where they are, not by how readers judge them: a task shown dep_failed may not be recorded so yet.
 */
function waitedForBy(copies: TaskCopy[]): Set<string> {
  return new Set(copies.flatMap((copy) => (copy.state === "done" ? [] : (copy.task.after ?? []))));
}
