import type { TerminalState } from "../fsqueue/index.ts";
import type { TaskEnd } from "./execute.ts";

export interface EndVerdict {
  state: TerminalState;
  exitCode: number | null;
  signal: string | null;
  reason?: string;
}

export const CANCEL_REASON = "cancelled by user";

/** How an attempt that ended on its own (or by a user's cancel) is recorded in `done/`. */
export function verdictFor(end: TaskEnd, cancelled: boolean): EndVerdict {
  if (end.kind === "spawn-failed") return { state: "failed", exitCode: null, signal: null, reason: end.reason };
  const { exitCode, signal } = end;
  if (cancelled) return { state: "cancelled", exitCode, signal, reason: CANCEL_REASON };
  if (exitCode === 0) return { state: "succeeded", exitCode, signal };
  if (signal !== null) return { state: "failed", exitCode, signal, reason: `killed by ${signal}` };
  return { state: "failed", exitCode, signal, reason: `exit code ${exitCode}` };
}

/** One line for the `finished` event and the runner log. */
export function verdictDetail(verdict: EndVerdict): string {
  return verdict.reason === undefined ? verdict.state : `${verdict.state}: ${verdict.reason}`;
}
