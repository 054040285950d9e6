import type { Control } from "../fsqueue/index.ts";

/** The target of lease-wide requests: `control/lease.drain`, `control/lease.stop`. */
export const LEASE_TARGET = "lease";

export type ControlAction =
  | { kind: "drain" }
  | { kind: "stop" }
  | { kind: "cancel"; task: string }
  | { kind: "requeue"; task: string }
  | { kind: "discard"; task: string; verb: "cancel" | "requeue" };

export interface ControlFacts {
  runningHere: (task: string) => boolean;
  isDone: (task: string) => boolean;
}

/**
 * What this runner does about the requests in `control/`: lease-wide drain and stop (left in place, every
 * runner of the lease must see them), cancels and requeues of tasks running here, and cancels and requeues
 * of finished tasks (stale: removed). Requests for tasks running elsewhere are that runner's business.
 */
export function controlActions(controls: readonly Control[], facts: ControlFacts): ControlAction[] {
  const actions: ControlAction[] = [];
  for (const control of controls) {
    if (control.target === LEASE_TARGET) {
      if (control.verb === "drain" || control.verb === "stop") actions.push({ kind: control.verb });
    } else if (control.verb === "cancel" || control.verb === "requeue") {
      const task = control.target;
      if (facts.runningHere(task)) actions.push({ kind: control.verb, task });
      else if (facts.isDone(task)) actions.push({ kind: "discard", task, verb: control.verb });
    }
  }
  return actions;
}
