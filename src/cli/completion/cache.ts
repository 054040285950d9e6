import { readFileSync } from "node:fs";
import { join } from "node:path";
import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * Each cluster's lease and task names as `rv lease up`, `rv lease ls`, `rv status` and `rv tasks` last saw them.
 * Completion must answer at once and so never asks a cluster; a lease named without `--cluster` goes to the
 * cluster it was seen on (src/cli/route.ts). Names only, no state: a stale entry costs a completion or a lookup
 * that resolves to "not found", never a wrong action on another cluster's lease of the same name (route.ts then
 * asks for --cluster).
 */
const ClusterNamesSchema = deferred(() =>
  z.object({
    leases: z.array(z.string()),
    tasks: z.array(z.object({ id: z.string(), name: z.nullable(z.string()), lease: z.string() })),
  }),
);
export type ClusterNames = z.infer<typeof ClusterNamesSchema>;
export type CachedTask = ClusterNames["tasks"][number];

export const CompletionCacheSchema = deferred(() =>
  z.object({ v: z.literal(2), clusters: z.record(z.string(), ClusterNamesSchema) }),
);
export type CompletionCache = z.infer<typeof CompletionCacheSchema>;

/** Enough of the newest tasks to complete what a person is likely to name; the file stays a few tens of KB. */
export const CACHED_TASKS = 500;

const EMPTY_CLUSTER: ClusterNames = { leases: [], tasks: [] };

export function completionCacheFile(root: string): string {
  return join(root, "completion-cache.json");
}

/** The cache as it is, or empty when there is none or it cannot be read (it is only ever a convenience). */
export function readCompletionCache(root: string): CompletionCache {
  try {
    const parsed = CompletionCacheSchema.safeParse(JSON.parse(readFileSync(completionCacheFile(root), "utf8")));
    return parsed.success ? parsed.data : { v: 2, clusters: {} };
  } catch {
    return { v: 2, clusters: {} };
  }
}

/** What a read verb saw of one cluster. */
export interface SeenNames {
  /** Every lease there (`rv lease ls`, `rv status`): replaces the list. */
  leases?: string[];
  /** Leases seen there (`rv lease up`, `rv status`'s active ones): they join the list. */
  more?: string[];
  /** Tasks a listing showed (often a filtered few): they join the cached ones, newest kept; their leases join. */
  tasks?: CachedTask[];
}

/** One cluster's names after a read verb saw it. Pure, so the merge is tested without files. */
export function mergeCompletionCache(names: ClusterNames, seen: SeenNames): ClusterNames {
  const byId = new Map(names.tasks.map((task) => [task.id, task]));
  // Only the three fields: a listing's tasks come with everything else about them.
  for (const { id, name, lease } of seen.tasks ?? []) byId.set(id, { id, name, lease });
  // Task ids sort by submit time: the newest are last.
  const tasks = [...byId.values()].sort((a, b) => a.id.localeCompare(b.id)).slice(-CACHED_TASKS);
  const leases = new Set(seen.leases ?? names.leases);
  for (const task of seen.tasks ?? []) leases.add(task.lease);
  for (const lease of seen.more ?? []) leases.add(lease);
  return { leases: [...leases].sort(), tasks };
}

/**
 * Records what a read verb saw of `cluster`, best effort: a cache that cannot be written must never fail the
 * command that refreshed it. Two verbs writing at once may lose one's additions, which the next listing restores.
 * Written only when it changed, atomically and private (0600).
 */
export async function rememberClusterNames(root: string, cluster: string, seen: SeenNames): Promise<void> {
  await rewrite(root, (cache) => {
    cache.clusters[cluster] = mergeCompletionCache(cache.clusters[cluster] ?? EMPTY_CLUSTER, seen);
  });
}

/** `rv cluster rm`: nothing of the cluster is offered or routed to any more. */
export async function forgetClusterNames(root: string, cluster: string): Promise<void> {
  await rewrite(root, (cache) => {
    delete cache.clusters[cluster];
  });
}

/** The clusters a lease of this name was seen on, in name order. */
export function clustersWithLease(root: string, lease: string): string[] {
  const { clusters } = readCompletionCache(root);
  return Object.keys(clusters)
    .filter((name) => clusters[name]?.leases.includes(lease))
    .sort();
}

async function rewrite(root: string, change: (cache: CompletionCache) => void): Promise<void> {
  try {
    const before = readCompletionCache(root);
    const after = structuredClone(before);
    change(after);
    if (JSON.stringify(after) === JSON.stringify(before)) return;
    // Loaded to write only: every lease looked up by name reads this file, and the writer costs ~1 ms of start-up.
    const { default: writeFileAtomic } = await import("write-file-atomic");
    writeFileAtomic.sync(completionCacheFile(root), `${JSON.stringify(after)}\n`, { mode: 0o600 });
  } catch {
    // Completion falls back to this machine's names, and routing to the cluster in use.
  }
}
