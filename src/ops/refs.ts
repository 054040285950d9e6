import { existsSync } from "node:fs";
import { join } from "node:path";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  type LeasePaths,
  leasePaths,
  listEntries,
  pendingOrClaimed,
  readDoneNewest,
  readTaskNames,
  recordFile,
} from "../fsqueue/index.ts";
import type { OnBadLease } from "../lease/bad-lease.ts";
import { listLeases, requireLease } from "../lease/store.ts";
import { z } from "../zod.ts";

/** A task by its lease and id; `name` is there when the index was read with names (a reference needed them). */
export const TaskRefSchema = deferred(() =>
  z.object({ lease: z.string(), id: z.string(), name: z.optional(z.string()) }),
);
export type TaskRef = z.infer<typeof TaskRefSchema>;

/** Ids of every task a lease knows, from directory listings alone (inbox and claim keys are task ids). */
function listTaskIds(p: LeasePaths): string[] {
  return [...new Set([...listedIds(p.done), ...liveTaskIds(p)])];
}

/** Ids of the tasks waiting or running: the inbox and every runner's claims. */
function liveTaskIds(p: LeasePaths): string[] {
  const ids = listedIds(p.inbox);
  for (const owner of listEntries(p.claimed)) {
    for (const name of listEntries(join(p.claimed, owner))) {
      const match = /^(.*)\.(json|recovering)$/.exec(name);
      if (match?.[1]) ids.push(match[1]);
    }
  }
  return ids;
}

function listedIds(dir: string): string[] {
  return listEntries(dir).flatMap((name) => (name.endsWith(".json") ? [name.slice(0, -5)] : []));
}

/**
 * The newest `count` tasks of the given leases, oldest first, and how many tasks there are: one pass over the
 * listings, keeping the newest seen, rather than a sort of a history that may hold 100,000 ids.
 */
export function newestTasks(root: string, leases: string[], count: number): { newest: TaskRef[]; total: number } {
  const newest: TaskRef[] = [];
  let total = 0;
  for (const lease of leases) {
    const known = newestIdsOf(leasePaths(root, lease), count);
    total += known.total;
    for (const id of known.ids) keepNewest(newest, { lease, id }, count);
  }
  return { newest, total };
}

/**
 * A lease's candidates for its newest `count` tasks and how many tasks it has. `done/` (a history may hold
 * 100,000 records) is not listed while its index's header is trusted and keeps enough of the newest ids:
 * the tasks waiting or running are then the only listing, each looked up in `done/` (a requeued task is in both).
 */
function newestIdsOf(p: LeasePaths, count: number): { ids: string[]; total: number } {
  const done = readDoneNewest(p);
  if (done && (count <= done.newest.length || done.total === done.newest.length)) {
    const live = [...new Set(liveTaskIds(p))].filter((id) => !existsSync(recordFile(p.done, id)));
    if (done.unchanged()) return { ids: [...done.newest, ...live], total: done.total + live.length };
  }
  const ids = listTaskIds(p);
  return { ids, total: ids.length };
}

/** Puts `ref` into `newest` (oldest first, at most `count` long) when it is newer than the oldest kept. */
export function keepNewest(newest: TaskRef[], ref: TaskRef, count: number): void {
  if (count <= 0) return;
  const oldest = newest[0];
  if (newest.length === count && oldest !== undefined) {
    if (ref.id <= oldest.id) return;
    newest.shift();
  }
  let low = 0;
  let high = newest.length;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((newest[mid] as TaskRef).id < ref.id) low = mid + 1;
    else high = mid;
  }
  newest.splice(low, 0, ref);
}

/** Every task of the given leases with its name, oldest first: done/ from its index, not a read of every record. */
function namedIndex(root: string, leases: string[]): TaskRef[] {
  const all = leases.flatMap((lease) =>
    Array.from(readTaskNames(leasePaths(root, lease)), ({ id, name }) => ({
      lease,
      id,
      ...(name !== undefined && { name }),
    })),
  );
  return all.sort((a, b) => a.id.localeCompare(b.id));
}

/** What references resolve against: `tasks`, oldest first, and how many tasks there are in all. */
export interface ReferableTasks {
  tasks: TaskRef[];
  total: number;
}

/**
 * What `refs` resolve against. When one of them may be a task's name (it is no id or number): every task with its
 * name, from the done index and the few tasks waiting or running. Otherwise the newest as far as the largest number
 * counts back (from the index's header: `rv logs 1` lists no history) and the tasks the ids name, looked up.
 */
export function referableTasks(root: string, leases: string[], refs: readonly string[]): ReferableTasks {
  const named = refs.map((ref) =>
    leases.filter((lease) => hasTask(leasePaths(root, lease), ref)).map((lease) => ({ lease, id: ref })),
  );
  // Short of a full id or a number, a reference may be a name: one that is also the end of another task's id is
  // then ambiguous, never silently that task.
  if (refs.some((ref, i) => !isNumberRef(ref) && named[i]?.length === 0)) {
    const tasks = namedIndex(root, leases);
    return { tasks, total: tasks.length };
  }
  const { newest, total } = newestTasks(root, leases, Math.max(0, ...refs.filter(isNumberRef).map(Number)));
  const tasks = [...new Map([...newest, ...named.flat()].map((task) => [`${task.lease}/${task.id}`, task])).values()];
  return { tasks: tasks.sort((a, b) => a.id.localeCompare(b.id)), total };
}

/** Whether `id` is a task of the lease: its record is in done/, or a copy waits or runs (no directory is listed). */
function hasTask(p: LeasePaths, id: string): boolean {
  if (id.includes("/") || id.startsWith(".")) return false;
  return existsSync(recordFile(p.done, id)) || pendingOrClaimed(p, id);
}

const isNumberRef = (ref: string) => /^[1-9][0-9]{0,5}$/.test(ref);
const idEndsWith = (task: TaskRef, ref: string) => task.id.endsWith(ref.toLowerCase());

/**
 * A task is named by its full id, a number counting back from the most recent submission (1 = newest), a unique
 * suffix of its id, or its name (when `all` has names). `total`: how many tasks there are in all, when `all` holds
 * only the candidates.
 */
export function resolveTaskRef(all: readonly TaskRef[], ref: string, total = all.length): TaskRef {
  if (isNumberRef(ref) && !all.some((t) => t.id === ref)) {
    const found = all[all.length - Number(ref)];
    if (!found) {
      const exist =
        total === 0 ? "there are no tasks yet" : total === 1 ? "only 1 task exists" : `only ${total} tasks exist`;
      throw new RvError("not_found", `there is no task number ${ref}: ${exist}`);
    }
    return found;
  }
  const exact = all.find((t) => t.id === ref);
  if (exact) return exact;
  const matches = all.filter((t) => idEndsWith(t, ref));
  const named = all.filter((t) => t.name === ref);
  const either = [...new Map([...matches, ...named].map((t) => [t.id, t])).values()];
  if (either.length === 1 && either[0]) return either[0];
  if (either.length === 0) {
    throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`, { hint: "list tasks with: rv tasks" });
  }
  const ids = `${either
    .slice(-5)
    .map((t) => t.id)
    .join(", ")}${either.length > 5 ? " (the newest five)" : ""}`;
  if (matches.length === 0) {
    throw new RvError("ambiguous", `${named.length} tasks are named ${JSON.stringify(ref)}`, {
      hint: `name one by its id: ${ids}`,
    });
  }
  const how = named.length > 0 ? "by the end of its id or by its name" : "by the end of its id";
  throw new RvError("ambiguous", `${JSON.stringify(ref)} matches ${either.length} tasks, ${how}`, {
    hint: `give more characters of an id: ${ids}`,
  });
}

/**
 * What one place holds that a reference could mean: for a number N its newest N tasks, else every task whose id
 * ends with it or (in an index with names) whose name it is. Enough for another place to resolve the reference exactly as if it held both places' tasks
 * (ids sort by submit time wherever they were made).
 */
export const CandidatesSchema = deferred(() => z.object({ tasks: z.array(TaskRefSchema), total: z.int() }));
export type Candidates = z.infer<typeof CandidatesSchema>;

export function candidatesFor(referable: ReferableTasks, ref: string): Candidates {
  const numbered = isNumberRef(ref) ? referable.tasks.slice(-Number(ref)) : [];
  const suffixed = referable.tasks.filter((t) => idEndsWith(t, ref) || t.name === ref);
  const tasks = [...new Map([...numbered, ...suffixed].map((t) => [t.id, t])).values()];
  return { tasks: tasks.sort((a, b) => a.id.localeCompare(b.id)), total: referable.total };
}

/**
 * The tasks an op acts on: those named (`refs`), or with `all` every task in scope. `elsewhere[i]`, when given, is
 * what the caller's other place holds for `refs[i]`: a reference that means one of those is handed back.
 */
export const TaskSelectionSchema = deferred(() =>
  z.object({
    refs: z._default(z.array(z.string()), []),
    lease: z._default(z.nullable(z.string()), null),
    all: z._default(z.boolean(), false),
    /** Every task in scope that has all of these tags (`--tag`), like `all` with a filter. */
    tags: z._default(z.array(z.string()), []),
    elsewhere: z._default(z.array(CandidatesSchema), []),
  }),
);
export type TaskSelection = z.input<typeof TaskSelectionSchema>;

/** The named tasks this place holds, and those that turned out to be the other place's. */
export function resolveSelection(
  root: string,
  selection: z.output<typeof TaskSelectionSchema>,
  onBad: OnBadLease,
): { here: TaskRef[]; elsewhere: TaskRef[] } {
  if (selection.lease) requireLease(root, selection.lease);
  const leases = selection.lease ? [selection.lease] : listLeases(root, onBad).map((l) => l.id);
  const referable = referableTasks(root, leases, selection.refs);
  const here: TaskRef[] = [];
  const elsewhere: TaskRef[] = [];
  selection.refs.forEach((ref, i) => {
    const other = selection.elsewhere[i];
    if (!other) {
      here.push(resolveTaskRef(referable.tasks, ref, referable.total));
      return;
    }
    const mine = candidatesFor(referable, ref);
    const theirs = new Set(other.tasks.map((t) => t.id));
    const merged = [...mine.tasks, ...other.tasks].sort((a, b) => a.id.localeCompare(b.id));
    const chosen = resolveTaskRef(merged, ref, mine.total + other.total);
    (theirs.has(chosen.id) ? elsewhere : here).push(chosen);
  });
  return { here, elsewhere };
}

/** A selection needs references, --all or --tag: one of them. */
export function checkSelection(selection: { refs: string[]; all: boolean; tags: string[] }, what: string): void {
  const given = [selection.refs.length > 0, selection.all, selection.tags.length > 0].filter(Boolean).length;
  if (given > 1) throw new RvError("usage", "give task ids, --all or --tag: one of them");
  if (given === 0) {
    throw new RvError(
      "usage",
      `name the task(s) to ${what} (id, unique suffix, or 1 for the newest), or --tag T, or --all`,
    );
  }
}
