import type { Control } from "../fsqueue/index.ts";

/** The target of lease-wide requests: `control/lease.drain`, `control/lease.stop`. */
export const LEASE_TARGET = "lease";

export type ControlAction =
  | { kind: "drain" }
  | { kind: "stop" }
  | { kind: "cancel"; task: string }
  | { kind: "discard"; task: string };

export interface ControlFacts {
  runningHere: (task: string) => boolean;
  isDone: (task: string) => boolean;
}

/**
 * What this runner does about the requests in `control/`: lease-wide drain and stop (left in place, every
 * runner of the lease must see them), cancels of tasks running here, and cancels of finished tasks (stale:
 * removed). Cancels of tasks running elsewhere are that runner's business.
 */
export function controlActions(controls: readonly Control[], facts: ControlFacts): ControlAction[] {
  const actions: ControlAction[] = [];
  for (const control of controls) {
    if (control.target === LEASE_TARGET) {
      if (control.verb === "drain" || control.verb === "stop") actions.push({ kind: control.verb });
    } else if (control.verb === "cancel") {
      if (facts.runningHere(control.target)) actions.push({ kind: "cancel", task: control.target });
      else if (facts.isDone(control.target)) actions.push({ kind: "discard", task: control.target });
    }
  }
  return actions;
}
