import { join } from "node:path";
import { RvError } from "../errors.ts";
import { leasePaths, listEntries } from "../fsqueue/index.ts";

export interface TaskRef {
  lease: string;
  id: string;
}

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

/** Every task of the given leases, oldest first: what task references are resolved against. */
export function taskIndex(root: string, leases: string[]): TaskRef[] {
  const all = leases.flatMap((lease) => listTaskIds(root, lease).map((id) => ({ lease, id })));
  return all.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * A task is named by its full id, a unique suffix of it, or a number counting back from the most
 * recent submission (1 = newest).
 */
export function resolveTaskRef(all: TaskRef[], ref: string): TaskRef {
  if (/^[1-9][0-9]{0,5}$/.test(ref) && !all.some((t) => t.id === ref)) {
    const found = all[all.length - Number(ref)];
    if (!found) throw new RvError("not_found", `there is no task number ${ref}: only ${all.length} tasks exist`);
    return found;
  }
  const exact = all.find((t) => t.id === ref);
  if (exact) return exact;
  const matches = all.filter((t) => t.id.endsWith(ref.toLowerCase()));
  if (matches.length === 1 && matches[0]) return matches[0];
  if (matches.length === 0) {
    throw new RvError("not_found", `no task matches ${JSON.stringify(ref)}`, { hint: "list tasks with: rv tasks" });
  }
  throw new RvError("ambiguous", `${JSON.stringify(ref)} matches ${matches.length} tasks`, {
    hint: `give more characters: ${matches
      .slice(-5)
      .map((t) => t.id)
      .join(", ")}`,
  });
}
