import { RvError } from "../errors.ts";

/** What a `--after` reference can name a task by. */
export interface Referable {
  id: string;
  name?: string | undefined;
  tags: readonly string[];
}

/** A task being submitted, with its `--after` references. */
export interface Dependent extends Referable {
  after?: readonly string[] | undefined;
}

const isNumberRef = (ref: string) => /^[1-9][0-9]{0,5}$/.test(ref);

/** `*` and `?` as in a shell pattern, matching the whole name. */
function globRegExp(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${body}$`);
}

/**
 * The tasks `ref` names: an exact id; else the task whose name is `ref` and every task whose tag is `ref` (`*` and
 * `?` as wildcards: every task whose name or tag matches); else, among the tasks already in the lease, a number
 * counting back from the newest (1) or a unique suffix of an id. `existing` is oldest first. Empty when it names
 * nothing; a plain name two tasks share is refused.
 */
export function matchReference(existing: readonly Referable[], batch: readonly Referable[], ref: string): string[] {
  const everyone = [...existing, ...batch];
  const exact = everyone.find((task) => task.id === ref);
  if (exact) return [exact.id];
  const pattern = /[*?]/.test(ref) ? globRegExp(ref) : undefined;
  const named = (text: string) => (pattern ? pattern.test(text) : text === ref);
  const byName = everyone.filter((task) => task.name !== undefined && named(task.name));
  const byTag = everyone.filter((task) => task.tags.some(named));
  if (!pattern && byTag.length === 0 && byName.length > 1) {
    // A tag or a wildcard means every task it names; a plain name means one task.
    throw new RvError("ambiguous", `--after ${ref}: ${byName.length} tasks are named so`, {
      hint: `give one by its id (${byName
        .slice(-3)
        .map((t) => t.id)
        .join(", ")}), or all of them with a tag or a wildcard`,
    });
  }
  const chosen = [...new Map([...byName, ...byTag].map((task) => [task.id, task])).values()];
  if (chosen.length > 0) return chosen.map((task) => task.id);
  if (pattern) return [];
  if (isNumberRef(ref)) {
    const numbered = existing[existing.length - Number(ref)];
    return numbered ? [numbered.id] : [];
  }
  const suffixed = existing.filter((task) => task.id.endsWith(ref.toLowerCase()));
  if (suffixed.length > 1) {
    throw new RvError("ambiguous", `--after ${ref}: matches ${suffixed.length} task ids`, {
      hint: `give more characters: ${suffixed
        .slice(-5)
        .map((t) => t.id)
        .join(", ")}`,
    });
  }
  return suffixed.map((task) => task.id);
}

/**
 * Each new task's dependencies as ids, and the order to publish the batch in (every task after those of the batch
 * it depends on). A reference naming nothing, or dependencies that loop back (a task after itself, or two after
 * each other), are refused before anything is written. Tasks already in the lease cannot depend on new ones, so a
 * loop can only close inside the batch.
 */
export function resolveDependencies(
  existing: readonly Referable[],
  batch: readonly Dependent[],
  lease: string,
): { after: Map<string, string[]>; order: string[] } {
  const after = new Map<string, string[]>();
  for (const task of batch) {
    if (!task.after || task.after.length === 0) continue;
    const ids = task.after.flatMap((given) => {
      // `a,b` is two references, unless the whole of it names a task (a sweep point's name has commas).
      const whole = matchReference(existing, batch, given);
      if (whole.length > 0 || !given.includes(",")) return whole.length > 0 ? whole : unknown(given, lease);
      return given
        .split(",")
        .map((ref) => ref.trim())
        .filter(Boolean)
        .flatMap((ref) => {
          const matched = matchReference(existing, batch, ref);
          return matched.length > 0 ? matched : unknown(ref, lease);
        });
    });
    after.set(task.id, [...new Set(ids)]);
  }
  return { after, order: publishOrder(batch, after) };
}

function unknown(ref: string, lease: string): never {
  throw new RvError("not_found", `--after ${ref}: no task of lease ${lease} has this id, name or tag`, {
    hint: `see the lease's tasks with: rv tasks --lease ${lease} (dependencies must be in the same lease)`,
  });
}

/** Depth first over the batch's own dependencies: dependencies first, a loop refused with its path. */
function publishOrder(batch: readonly Dependent[], after: Map<string, string[]>): string[] {
  const inBatch = new Map(batch.map((task) => [task.id, task]));
  const label = (id: string) => inBatch.get(id)?.name ?? id;
  const order: string[] = [];
  const done = new Set<string>();
  const visit = (id: string, path: string[]) => {
    if (done.has(id)) return;
    if (path.includes(id)) {
      const loop = [...path.slice(path.indexOf(id)), id].map(label).join(" -> ");
      throw new RvError("usage", `--after makes a loop: ${loop}`, {
        hint: "a task cannot run after itself: check the names, tags and wildcards given to --after",
      });
    }
    for (const dep of after.get(id) ?? []) if (inBatch.has(dep)) visit(dep, [...path, id]);
    done.add(id);
    order.push(id);
  };
  for (const task of batch) visit(task.id, []);
  return order;
}
