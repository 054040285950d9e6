import { readArchivedOne } from "./archive.ts";
import { readDoneRecord } from "./done-record.ts";
import type { LeasePaths } from "./paths.ts";
import type { TerminalState } from "./schema.ts";
import { pendingOrClaimed } from "./snapshot.ts";

/**
 * How a dependency ended, as its dependents see it: a terminal state, or `unknown` when its done/ record cannot be
 * read and it has no other copy. An unknown end is not a success: its dependents can never be shown to be startable.
 */
export type DependencyEnd = TerminalState | "unknown";

/**
 * Whether a task's dependencies (`after`) let it start: all succeeded (`ready`), one ended otherwise (`failed`:
 * the task can never start, it is `dep_failed`), or some have not ended yet (`waiting`: it is `blocked`).
 */
export type DependencyVerdict =
  | { kind: "ready" }
  | { kind: "waiting"; on: string }
  | { kind: "failed"; dep: string; state: Exclude<DependencyEnd, "succeeded"> };

const READY: DependencyVerdict = { kind: "ready" };

/**
 * A failure decides as soon as it is seen, even while other dependencies still run: nothing they do can make the
 * task startable again (only a requeue of the failed one, which takes it out of done/).
 */
export function dependencyVerdict(
  after: readonly string[] | undefined,
  endOf: (id: string) => DependencyEnd | undefined,
): DependencyVerdict {
  let waitingOn: string | undefined;
  for (const id of after ?? []) {
    const end = endOf(id);
    if (end === undefined) waitingOn ??= id;
    else if (end !== "succeeded") return { kind: "failed", dep: id, state: end };
  }
  return waitingOn === undefined ? READY : { kind: "waiting", on: waitingOn };
}

/**
 * Why a task waits or can never start, for people: `waiting for prep-1 (0mx7…)`, `dependency prep-2 (…) failed`,
 * `dependency prep-3 (…) ended, but its done record cannot be read`.
 */
export function dependencyReason(
  verdict: Exclude<DependencyVerdict, { kind: "ready" }>,
  nameOf: (id: string) => string | undefined,
): string {
  const id = verdict.kind === "waiting" ? verdict.on : verdict.dep;
  const name = nameOf(id);
  const label = name === undefined ? id : `${name} (${id})`;
  if (verdict.kind === "waiting") return `waiting for ${label}`;
  if (verdict.state === "unknown") return `dependency ${label} ended, but its done record cannot be read`;
  return `dependency ${label} ${verdict.state}`;
}

/**
 * How each dependency ended, read from its done/ record when first asked (a task that has not ended has none).
 * Meant for one look at the inbox: a task can go back to the inbox (`rv requeue`), so answers are not kept.
 */
export function doneStates(p: LeasePaths): (id: string) => DependencyEnd | undefined {
  const seen = new Map<string, DependencyEnd | undefined>();
  return (id) => {
    if (!seen.has(id)) seen.set(id, endOf(p, id));
    return seen.get(id);
  };
}

/**
 * A requeued task keeps its old done/ record until its new attempt ends, and the newer copy wins (latestState): a
 * failure (or an unreadable record) with a newer attempt pending, claimed or being recovered has not ended. (A
 * success requeued while tasks still wait for it is taken as it stands: they may start.)
 */
function endOf(p: LeasePaths, id: string): DependencyEnd | undefined {
  const end = recordedEnd(p, id);
  if (end === undefined || end.state === "succeeded") return end?.state;
  if (pendingOrClaimed(p, id)) return undefined;
  // A newer attempt that ended while we looked for it replaced the record: read again, trust only the same attempt.
  const again = recordedEnd(p, id);
  return again?.attempt === end.attempt ? end.state : again?.state;
}

/**
 * How the task's record says it ended: its done/ record, or its archived one (`rv clean`). A done record that
 * cannot be read says `unknown`, of no attempt: without it a dependent would wait forever for an end already past.
 */
function recordedEnd(p: LeasePaths, id: string): { state: DependencyEnd; attempt?: number } | undefined {
  const read = readDoneRecord(p, id);
  if (read?.ok === false) return { state: "unknown" };
  const done = read?.done ?? readArchivedOne(p, id);
  return done && { state: done.state, attempt: done.task.attempt };
}
