import type { Control } from "../fsqueue/index.ts";

/** The target of lease-wide requests: `control/lease.drain`, `control/lease.stop`. */
export const LEASE_TARGET = "lease";

/** The target of a segment's end: `control/segment-<n>.end`, for the runners of segment n only. */
export const segmentTarget = (segment: string): string => `segment-${segment}`;

export type ControlAction =
  | { kind: "segment-end" }
  | { kind: "handover" }
  | { kind: "drain" }
  | { kind: "stop" }
  | { kind: "cancel"; task: string }
  | { kind: "requeue"; task: string }
  /** The task asked for it itself (its `scontrol requeue`, scontrol-shim.ts): its next attempt resumes. */
  | { kind: "task-requeue"; task: string }
  | { kind: "discard"; task: string; verb: "cancel" | "requeue" };

export interface ControlFacts {
  /** This runner's segment: a segment's end concerns its own runners, not the next segment's. */
  segment: string;
  /** The attempt of the task running here; undefined when it does not run here. */
  attemptHere: (task: string) => number | undefined;
  isDone: (task: string) => boolean;
}

/**
 * What this runner does about the requests in `control/`: the end of its own segment, the next segment taking
 * over (`segment-<n>.drain`), lease-wide drain and stop (all left in place: every runner of the lease or
 * segment must see them), cancels and requeues of tasks running here, and cancels and requeues of finished
 * tasks (stale: removed); a task's own requeue (`byAttempt`) only from the attempt running. Requests for tasks
 * running elsewhere are that runner's business.
 */
export function controlActions(controls: readonly Control[], facts: ControlFacts): ControlAction[] {
  const actions: ControlAction[] = [];
  for (const control of controls) {
    if (control.target === segmentTarget(facts.segment)) {
      if (control.verb === "end") actions.push({ kind: "segment-end" });
      else if (control.verb === "drain") actions.push({ kind: "handover" });
    } else if (control.target === LEASE_TARGET) {
      if (control.verb === "drain" || control.verb === "stop") actions.push({ kind: control.verb });
    } else if (control.verb === "cancel" || control.verb === "requeue") {
      const task = control.target;
      const attempt = facts.attemptHere(task);
      if (control.verb === "requeue" && control.byAttempt !== undefined && attempt !== undefined) {
        // An earlier attempt's own request (its runner died before it was settled) is left to be discarded
        // once the task has ended: removing it now could remove this attempt's, written meanwhile.
        if (control.byAttempt === attempt) actions.push({ kind: "task-requeue", task });
      } else if (attempt !== undefined) actions.push({ kind: control.verb, task });
      else if (facts.isDone(task)) actions.push({ kind: "discard", task, verb: control.verb });
    }
  }
  return actions;
}
