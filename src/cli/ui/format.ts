const HOUR = 3600;
const DAY = 24 * HOUR;

/**
 * When something should start, narrow enough for a table column: "now", "in 3m", "~14:05", "~Tue 14:05", "~Nov 25".
 * Past the hour a clock time reads better than a duration; past half a day the hour alone could mean tomorrow.
 */
export function formatIn(epoch: number, nowEpoch: number): string {
  const seconds = epoch - nowEpoch;
  if (seconds <= 0) return "now";
  const minutes = Math.max(1, Math.round(seconds / 60));
  if (minutes < 60) return `in ${minutes}m`;
  const at = new Date(Math.round(epoch / 60) * 60_000);
  if (seconds < 12 * HOUR) return `~${clock(at)}`;
  if (seconds < 6 * DAY) return `~${at.toLocaleDateString("en-US", { weekday: "short" })} ${clock(at)}`;
  return `~${at.toLocaleDateString("en-US", { month: "short", day: "numeric" })}`;
}

function clock(at: Date): string {
  return `${String(at.getHours()).padStart(2, "0")}:${String(at.getMinutes()).padStart(2, "0")}`;
}

/**
 * A task's GPUs in a table cell: how many it asks, then the ids it was given, `2 [0,1]`. The count always comes
 * first, so GPU 0 never reads as "no GPU".
 */
export function gpusText(task: { gpus: number; assignedGpus: readonly string[] }): string {
  return task.assignedGpus.length ? `${task.gpus} [${task.assignedGpus.join(",")}]` : String(task.gpus);
}

/**
 * How a task ended, in a few words: `exit 3`, `exit 127: sh: x: command not found` (a reason that says more than the
 * code goes beside it), `SIGKILL`, `timeout`, `cancelled before it started`; nothing for a success.
 */
export function outcomeText(view: {
  state: string;
  exitCode: number | null;
  signal: string | null;
  reason: string | null;
}): string {
  if (view.exitCode !== null && view.state !== "succeeded") {
    const more = view.reason !== null && view.reason !== `exit code ${view.exitCode}` ? `: ${view.reason}` : "";
    return `exit ${view.exitCode}${more}`;
  }
  if (view.signal) return view.signal;
  return view.reason ?? "";
}
