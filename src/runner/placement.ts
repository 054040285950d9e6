import type { DependencyVerdict } from "../fsqueue/index.ts";

/** What placement needs to know of a pending task (read from its inbox record, cached by key). */
export interface QueuedTask {
  key: string;
  gpus: number;
  cpus: number;
  strictOrder: boolean;
  timeRequestMs?: number;
  /** At most `max` tasks of `group` run at once in the lease (`--max-running`). */
  maxRunning?: { group: string; max: number };
  /** Epoch ms before which it may not start (a retry's backoff). */
  notBefore?: number;
  /** Tasks that must succeed first (`--after`). */
  after?: string[];
}

/** What placement asks of the rest of the lease, beyond this runner's own resources. */
export interface LeaseFacts {
  /** Tasks of a `--max-running` group running now in the lease, by every runner. */
  runningIn?: (group: string) => number;
  /** Whether a task's dependencies let it start. */
  dependencies?: (after: readonly string[]) => DependencyVerdict;
}

/** The runner's clock and when its segment ends (epoch ms; `undefined` when the runner does not know). */
export interface SegmentClock {
  now: number;
  endsAt: number | undefined;
}

export interface Resources {
  gpus: string[];
  cpus: number;
}

export interface Assignment {
  key: string;
  gpus: string[];
  cpus: number;
}

export interface Placement {
  assignments: Assignment[];
  /** Tasks bigger than this runner's whole capacity: skipped (another runner of the lease may be bigger). */
  neverFits: string[];
  /** Tasks whose time request outlasts this segment: left in the inbox for the next one. */
  tooLongForSegment: string[];
  /**
   * Tasks that can never start: a dependency failed or was cancelled. The runner records them `dep_failed`. Only
   * tasks that would fit now are looked at; readers judge the others the same way meanwhile.
   */
  depFailed: { key: string; dep: string; state: string }[];
}

/** A task that says how long it needs starts only if it can finish before the segment ends. */
export function canFinishInSegment(timeRequestMs: number | undefined, clock: SegmentClock): boolean {
  if (timeRequestMs === undefined || clock.endsAt === undefined) return true;
  return clock.now + timeRequestMs <= clock.endsAt;
}

/**
 * FIFO with backfill inside the lease: tasks are taken in key order; one that does not fit the free
 * resources waits, and smaller tasks behind it may start, unless the waiting task asked for strict order
 * (then nothing behind it may pass). A task that can never fit `total` does not block the queue. A task
 * that cannot finish before the segment ends waits for the next segment, and blocks the tasks behind it
 * only if it asked for strict order, as a task waiting for resources does.
 * A task of a group already running its `maxRunning` tasks in the lease (`runningIn`, counted across the
 * lease's runners) waits like one that does not fit. A task whose dependencies have not all succeeded waits
 * without holding anything (it is `blocked`); one whose dependency failed is handed back in `depFailed`.
 * The queue is read lazily and scanning stops once nothing more can start, so the caller may pass a
 * generator over a long inbox.
 */
export function placeTasks(
  queue: Iterable<QueuedTask>,
  free: Resources,
  total: Capacity,
  clock: SegmentClock,
  lease: LeaseFacts = {},
): Placement {
  const runningIn = lease.runningIn ?? (() => 0);
  const gpus = sortIds(free.gpus);
  let cpus = free.cpus;
  const started = new Map<string, number>();
  const capped = (limit: QueuedTask["maxRunning"]) =>
    limit !== undefined && runningIn(limit.group) + (started.get(limit.group) ?? 0) >= limit.max;
  const placement: Placement = { assignments: [], neverFits: [], tooLongForSegment: [], depFailed: [] };
  if (cpus <= 0) return placement;
  for (const task of queue) {
    if (task.gpus > total.gpus || task.cpus > total.cpus) {
      placement.neverFits.push(task.key);
      continue;
    }
    if (task.notBefore !== undefined && task.notBefore > clock.now) {
      if (task.strictOrder) break;
      continue;
    }
    if (!canFinishInSegment(task.timeRequestMs, clock)) {
      placement.tooLongForSegment.push(task.key);
      if (task.strictOrder) break;
      continue;
    }
    if (task.gpus <= gpus.length && task.cpus <= cpus && !capped(task.maxRunning)) {
      // Dependencies are looked at last, for a task that could start now: a look costs reads of done/.
      const verdict = task.after && lease.dependencies ? lease.dependencies(task.after) : undefined;
      if (verdict?.kind === "failed") {
        placement.depFailed.push({ key: task.key, dep: verdict.dep, state: verdict.state });
        continue;
      }
      if (verdict?.kind === "waiting") {
        if (task.strictOrder) break;
        continue;
      }
      placement.assignments.push({ key: task.key, gpus: gpus.splice(0, task.gpus), cpus: task.cpus });
      if (task.maxRunning) started.set(task.maxRunning.group, (started.get(task.maxRunning.group) ?? 0) + 1);
      cpus -= task.cpus;
      if (cpus <= 0) break; // every task needs at least one CPU
      continue;
    }
    if (task.strictOrder) break;
  }
  return placement;
}

export interface Capacity {
  gpus: number;
  cpus: number;
}

/** Lowest ids first: numerically for indexes, then anything else (UUIDs) in text order. */
export function sortIds(ids: readonly string[]): string[] {
  return [...ids].sort((a, b) => {
    const na = /^\d+$/.test(a) ? Number(a) : Number.NaN;
    const nb = /^\d+$/.test(b) ? Number(b) : Number.NaN;
    if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
    if (!Number.isNaN(na)) return -1;
    if (!Number.isNaN(nb)) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
