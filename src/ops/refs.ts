import { join } from "node:path";
import { z } from "zod";
import { RvError } from "../errors.ts";
import { latestState, leasePaths, listEntries, readSnapshot } from "../fsqueue/index.ts";
import type { OnBadLease } from "../lease/bad-lease.ts";
import { listLeases, requireLease } from "../lease/store.ts";

/** A task by its lease and id; `name` is there when the index was read with names (a reference needed them). */
export const TaskRefSchema = z.object({ lease: z.string(), id: z.string(), name: z.string().optional() });
export type TaskRef = z.infer<typeof TaskRefSchema>;

/** Ids of every task a lease knows, from directory listings alone (inbox and claim keys are task ids). */
function listTaskIds(root: string, lease: string): string[] {
  const p = leasePaths(root, lease);
  const ids = new Set<string>();
  const add = (dir: string) => {
    for (const name of listEntries(dir)) if (name.endsWith(".json")) ids.add(name.slice(0, -5));
  };
  add(p.inbox);
  add(p.done);
  for (const owner of listEntries(p.claimed)) {
    for (const name of listEntries(join(p.claimed, owner))) {
      const match = /^(.*)\.(json|recovering)$/.exec(name);
      if (match?.[1]) ids.add(match[1]);
    }
  }
  return [...ids];
}

/** Every task of the given leases, oldest first (ids sort by submit time): what task references resolve against. */
export function taskIndex(root: string, leases: string[]): TaskRef[] {
  const all = leases.flatMap((lease) => listTaskIds(root, lease).map((id) => ({ lease, id })));
  return all.sort((a, b) => a.id.localeCompare(b.id));
}

/** Every task of the given leases with its name, oldest first: one read of every record. */
function namedIndex(root: string, leases: string[]): TaskRef[] {
  const all = leases.flatMap((lease) =>
    [...latestState(readSnapshot(leasePaths(root, lease))).values()].map(({ task }) => ({
      lease,
      id: task.id,
      ...(task.name !== undefined && { name: task.name }),
    })),
  );
  return all.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * What `refs` resolve against: ids from directory listings, or, when one of them can only be a task's name (it is no
 * id, number or unique id suffix), every task with its name, which costs a read of each record.
 */
export function referableTasks(root: string, leases: string[], refs: readonly string[]): TaskRef[] {
  const index = taskIndex(root, leases);
  // Short of a full id or a number, a reference may be a name: one that is also the end of another task's id is
  // then ambiguous, never silently that task.
  const mayBeName = (ref: string) => !isNumberRef(ref) && !index.some((t) => t.id === ref);
  return refs.some(mayBeName) ? namedIndex(root, leases) : index;
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
    if (!found) throw new RvError("not_found", `there is no task number ${ref}: only ${total} tasks exist`);
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
export const CandidatesSchema = z.object({ tasks: z.array(TaskRefSchema), total: z.number().int() });
export type Candidates = z.infer<typeof CandidatesSchema>;

export function candidatesFor(index: readonly TaskRef[], ref: string): Candidates {
  const numbered = isNumberRef(ref) ? index.slice(-Number(ref)) : [];
  const suffixed = index.filter((t) => idEndsWith(t, ref) || t.name === ref);
  const tasks = [...new Map([...numbered, ...suffixed].map((t) => [t.id, t])).values()];
  return { tasks: tasks.sort((a, b) => a.id.localeCompare(b.id)), total: index.length };
}

/**
 * The tasks an op acts on: those named (`refs`), or with `all` every task in scope. `elsewhere[i]`, when given, is
 * what the caller's other place holds for `refs[i]`: a reference that means one of those is handed back.
 */
export const TaskSelectionSchema = z.object({
  refs: z.array(z.string()).default([]),
  lease: z.string().nullable().default(null),
  all: z.boolean().default(false),
  /** Every task in scope that has all of these tags (`--tag`), like `all` with a filter. */
  tags: z.array(z.string()).default([]),
  elsewhere: z.array(CandidatesSchema).default([]),
});
export type TaskSelection = z.input<typeof TaskSelectionSchema>;

/** The named tasks this place holds, and those that turned out to be the other place's. */
export function resolveSelection(
  root: string,
  selection: z.output<typeof TaskSelectionSchema>,
  onBad: OnBadLease,
): { here: TaskRef[]; elsewhere: TaskRef[] } {
  if (selection.lease) requireLease(root, selection.lease);
  const leases = selection.lease ? [selection.lease] : listLeases(root, onBad).map((l) => l.id);
  const index = referableTasks(root, leases, selection.refs);
  const here: TaskRef[] = [];
  const elsewhere: TaskRef[] = [];
  selection.refs.forEach((ref, i) => {
    const other = selection.elsewhere[i];
    if (!other) {
      here.push(resolveTaskRef(index, ref));
      return;
    }
    const mine = candidatesFor(index, ref);
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
