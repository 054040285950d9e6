/**
 * The judge of a chaos run: from what was acknowledged, what rv says at the end, and what the tasks themselves
 * wrote, it counts the tasks lost, the tasks that ran twice at once, and those that ended in a state they should
 * not have. Pure: the scenarios gather, this decides, and its tests feed it histories by hand.
 *
 * Each chaos task runs its body under `flock -n` on a file of its own (see `taskCommand` in lib.ts): a second
 * attempt that starts while an earlier one still runs cannot take the lock and writes `twice`, which is exact
 * whatever the clocks say (the kernel drops a dead process's lock).
 */

/** One line a task wrote: `start|end|twice ATTEMPT MILLIS`. */
export interface Mark {
  kind: "start" | "end" | "twice";
  attempt: number;
  atMs: number;
}

export interface TaskHistory {
  id: string;
  /** The state rv shows at the end (`rv tasks --json`), or null when rv does not list the task at all. */
  finalState: string | null;
  /**
   * The states this task may end in under this scenario: `succeeded`, or also `pending` where a released lease
   * keeps its queue (a task that waits is not lost).
   */
  allowed: readonly string[];
  marks: Mark[];
}

export interface RunVerdict {
  tasks: number;
  lost: number;
  twice: number;
  /** Tasks that ran again after an attempt had ended: at-least-once, not at once (the end was not recorded). */
  again: number;
  wrongFinal: number;
  /** Of each task whose attempt started before the fault: how long until its next attempt started (the worst). */
  recoveryMs: number | null;
  problems: string[];
}

const ENDED = new Set(["succeeded", "failed", "cancelled", "dep_failed"]);

export function judgeRun(histories: readonly TaskHistory[], faultAtMs: number | null): RunVerdict {
  const verdict: RunVerdict = {
    tasks: histories.length,
    lost: 0,
    twice: 0,
    again: 0,
    wrongFinal: 0,
    recoveryMs: null,
    problems: [],
  };
  for (const h of histories) {
    if (h.finalState === null || (!ENDED.has(h.finalState) && !h.allowed.includes(h.finalState))) {
      verdict.lost++;
      verdict.problems.push(`${h.id}: lost (rv shows ${h.finalState ?? "nothing"})`);
    } else if (!h.allowed.includes(h.finalState)) {
      verdict.wrongFinal++;
      verdict.problems.push(`${h.id}: ended ${h.finalState}, expected ${h.allowed.join(" or ")}`);
    }
    if (h.marks.some((m) => m.kind === "twice")) {
      verdict.twice++;
      verdict.problems.push(`${h.id}: an attempt started while another still ran`);
    }
    const ends = h.marks.filter((m) => m.kind === "end");
    if (ends.length > 0 && h.marks.some((m) => m.kind === "start" && m.atMs > (ends[0]?.atMs ?? 0))) verdict.again++;
    const recovery = faultAtMs === null ? null : recoveryOf(h.marks, faultAtMs);
    if (recovery !== null) verdict.recoveryMs = Math.max(verdict.recoveryMs ?? 0, recovery);
  }
  return verdict;
}

/** A task with an attempt started before the fault and a later attempt started after it: the time between. */
function recoveryOf(marks: readonly Mark[], faultAtMs: number): number | null {
  const starts = marks.filter((m) => m.kind === "start");
  const before = starts.filter((m) => m.atMs <= faultAtMs).map((m) => m.attempt);
  if (before.length === 0) return null;
  const next = starts.find((m) => m.atMs > faultAtMs && m.attempt > Math.max(...before));
  return next ? next.atMs - faultAtMs : null;
}

export function parseMarks(text: string): Mark[] {
  return text
    .split("\n")
    .map((line) => line.trim().split(" "))
    .filter((parts): parts is [Mark["kind"], string, string] => ["start", "end", "twice"].includes(parts[0] ?? ""))
    .map(([kind, attempt, at]) => ({ kind, attempt: Number(attempt), atMs: Number(at) }));
}

/** A scenario's runs, summed into its row of the table. */
export interface Row {
  scenario: string;
  runs: number;
  tasks: number;
  lost: number;
  twice: number;
  again: number;
  wrongFinal: number;
  maxRecoveryMs: number | null;
}

export function summarize(scenario: string, verdicts: readonly RunVerdict[]): Row {
  const sum = (pick: (v: RunVerdict) => number) => verdicts.reduce((total, v) => total + pick(v), 0);
  const recoveries = verdicts.map((v) => v.recoveryMs).filter((ms): ms is number => ms !== null);
  return {
    scenario,
    runs: verdicts.length,
    tasks: sum((v) => v.tasks),
    lost: sum((v) => v.lost),
    twice: sum((v) => v.twice),
    again: sum((v) => v.again),
    wrongFinal: sum((v) => v.wrongFinal),
    maxRecoveryMs: recoveries.length ? Math.max(...recoveries) : null,
  };
}

export function renderTable(rows: readonly Row[]): string {
  const head = [
    "scenario",
    "runs",
    "tasks",
    "lost",
    "ran twice at once",
    "ran again",
    "wrong final state",
    "max recovery",
  ];
  const body = rows.map((r) => [
    r.scenario,
    String(r.runs),
    String(r.tasks),
    String(r.lost),
    String(r.twice),
    String(r.again),
    String(r.wrongFinal),
    r.maxRecoveryMs === null ? "-" : `${(r.maxRecoveryMs / 1000).toFixed(1)} s`,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]?.length ?? 0)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(" | ")} |`;
  return [line(head), `|${widths.map((w) => "-".repeat(w + 2)).join("|")}|`, ...body.map(line)].join("\n");
}
