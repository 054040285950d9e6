import type { Task, TerminalState } from "../fsqueue/index.ts";
import type { TaskEnd } from "./execute.ts";

export interface EndVerdict {
  state: TerminalState;
  exitCode: number | null;
  signal: string | null;
  reason?: string;
  /** It never started: this dependency failed (`dep_failed`). */
  depFailed?: string;
}

export const CANCEL_REASON = "cancelled by user";

/** How an attempt that ended on its own (or by a user's cancel) is recorded in `done/`. */
export function verdictFor(end: TaskEnd, cancelled: boolean): EndVerdict {
  if (end.kind === "spawn-failed") return { state: "failed", exitCode: end.exitCode, signal: null, reason: end.reason };
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

/** An attempt stopped by rv at its `--timeout`: failed, with reason `timeout`, whatever its exit status. */
export function timedOut(verdict: EndVerdict): EndVerdict {
  return { ...verdict, state: "failed", reason: "timeout" };
}

export type RetryDecision = { retry: false } | { retry: true; delayMs: number; reason: string };

/**
 * Whether a finished attempt runs again (`--retry N --retry-delay D --retry-on CODES`): a failure (not a
 * cancel) the policy names, while retries are left; the wait doubles with each retry (D, 2D, 4D, ...).
 */
export function retryDecision(task: Pick<Task, "retry" | "retried" | "attempt">, verdict: EndVerdict): RetryDecision {
  const policy = task.retry;
  const retried = task.retried ?? 0;
  if (!policy || verdict.state !== "failed" || retried >= policy.max || !retriedOn(policy.on, verdict)) {
    return { retry: false };
  }
  const delayMs = policy.delayMs * 2 ** retried;
  const failure = verdict.reason ?? "failed";
  const reason = `attempt ${task.attempt} ${failure}: retry ${retried + 1} of ${policy.max}`;
  return { retry: true, delayMs, reason };
}

function retriedOn(on: readonly (number | string)[], verdict: EndVerdict): boolean {
  if (on.length === 0) return true;
  // A timed-out attempt was killed by rv: only `timeout` names it, not the signal or status it died with.
  if (verdict.reason === "timeout") return on.includes("timeout");
  return on.some((what) =>
    typeof what === "number"
      ? verdict.exitCode === what
      : what === "timeout"
        ? verdict.reason === "timeout"
        : verdict.signal !== null && verdict.signal === (what.startsWith("SIG") ? what : `SIG${what}`),
  );
}
