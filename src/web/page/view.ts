import type { WebSnapshot } from "../schema.ts";

/** A page of the dashboard: built once when shown, updated on every snapshot (its inputs keep their focus). */
export interface View {
  element: HTMLElement;
  update(snapshot: WebSnapshot, nowMs: number): void;
}

export type TaskRow = WebSnapshot["tasks"][number];

/** The states a task may still leave: cancel applies to these, requeue to the rest. */
export function isLive(state: TaskRow["state"]): boolean {
  return state === "pending" || state === "blocked" || state === "running" || state === "lost";
}

/** The state filter's groups, in the order shown. */
export const STATE_GROUPS: Record<string, (state: TaskRow["state"]) => boolean> = {
  all: () => true,
  running: (s) => s === "running",
  pending: (s) => s === "pending" || s === "blocked",
  succeeded: (s) => s === "succeeded",
  failed: (s) => s === "failed" || s === "dep_failed" || s === "lost" || s === "unknown",
  cancelled: (s) => s === "cancelled",
};
