import { readFileSync } from "node:fs";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { z } from "zod";

/**
 * The cluster's lease and task names as the last `rv lease ls` and `rv tasks` saw them, for completion, which
 * must answer at once and so never asks the cluster. Names only, no state: a stale entry costs a completion
 * that resolves to "not found", never a wrong action.
 */
export const CompletionCacheSchema = z.object({
  v: z.literal(1),
  leases: z.array(z.string()),
  tasks: z.array(z.object({ id: z.string(), name: z.string().nullable(), lease: z.string() })),
});
export type CompletionCache = z.infer<typeof CompletionCacheSchema>;
export type CachedTask = CompletionCache["tasks"][number];

/** Enough of the newest tasks to complete what a person is likely to name; the file stays a few tens of KB. */
export const CACHED_TASKS = 500;

const EMPTY: CompletionCache = { v: 1, leases: [], tasks: [] };

export function completionCacheFile(root: string): string {
  return join(root, "completion-cache.json");
}

/** The cache as it is, or empty when there is none or it cannot be read (it is only ever a convenience). */
export function readCompletionCache(root: string): CompletionCache {
  try {
    const parsed = CompletionCacheSchema.safeParse(JSON.parse(readFileSync(completionCacheFile(root), "utf8")));
    return parsed.success ? parsed.data : EMPTY;
  } catch {
    return EMPTY;
  }
}

/**
 * What the cache holds after a read verb saw the cluster. `leases`, when given, is every lease there (`rv lease
 * ls`) and replaces the list; `tasks` are the ones a listing showed (often a filtered few) and join the cached
 * ones, newest kept; their leases join the list. Pure, so the merge is tested without files.
 */
export function mergeCompletionCache(
  cache: CompletionCache,
  seen: { leases?: string[]; tasks?: CachedTask[] },
): CompletionCache {
  const byId = new Map(cache.tasks.map((task) => [task.id, task]));
  // Only the three fields: a listing's tasks come with everything else about them.
  for (const { id, name, lease } of seen.tasks ?? []) byId.set(id, { id, name, lease });
  // Task ids sort by submit time: the newest are last.
  const tasks = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)).slice(-CACHED_TASKS);
  const leases = new Set(seen.leases ?? cache.leases);
  for (const task of seen.tasks ?? []) leases.add(task.lease);
  return { v: 1, leases: [...leases].sort(), tasks };
}

/**
 * Records what a read verb saw of the cluster, best effort: a cache that cannot be written must never fail the
 * command that refreshed it. Two verbs writing at once may lose one's additions, which the next listing restores.
 * Written only when it changed, atomically and private (0600).
 */
export function rememberClusterNames(root: string, seen: { leases?: string[]; tasks?: CachedTask[] }): void {
  try {
    const before = readCompletionCache(root);
    const after = mergeCompletionCache(before, seen);
    if (JSON.stringify(after) === JSON.stringify(before)) return;
    writeFileAtomic.sync(completionCacheFile(root), `${JSON.stringify(after)}\n`, { mode: 0o600 });
  } catch {
    // Completion falls back to this machine's names.
  }
}
