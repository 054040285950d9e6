import { type Lease, leasePaths } from "../fsqueue/index.ts";
import {
  countByState,
  describePhase,
  isLiveRunner,
  isTerminal,
  type LeasePhase,
  listLeases,
  partsNow,
  partsOf,
  readLeaseState,
  renewalSeconds,
  type SlurmLeaseLook,
  type TaskView,
} from "../lease/index.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { observeSlurmLease } from "./lease-supervise.ts";
import { readLogTail } from "./log-tail.ts";
import { observerFor } from "./observer.ts";
import type { OpEnv } from "./op.ts";
import { summarize } from "./summary.ts";
import type { TuiAsk, TuiLease, TuiLog, TuiLogAsk, TuiSnapshot } from "./tui-snapshot.ts";

/**
 * One refresh of the TUI from an rv root: every lease worth showing with its runners, every task, and the tail
 * of the log asked for. A Slurm lease is looked at as `rv lease show` looks (its phase from Slurm, and a
 * nudge when an act is overdue); its runners and tasks are read once, here. Runs on this machine for its own leases,
 * and on the login node for the `tui` op, so that a refresh across ssh is one round trip.
 */
export async function readTuiSnapshot(env: OpEnv, ask: TuiAsk): Promise<TuiSnapshot> {
  const observer = observerFor(env);
  const leases: TuiLease[] = [];
  const tasks: TaskView[] = [];
  for (const record of listLeases(env.root, warnOfBadLease(env))) {
    if (ask.lease !== null && record.id !== ask.lease) continue;
    const state = readLeaseState(leasePaths(env.root, record.id), observer);
    const live = state.runners.some(isLiveRunner);
    if (record.state === "released" && !live && state.tasks.every((t) => isTerminal(t.state))) continue;
    const view =
      record.kind === "slurm" && record.state === "active"
        ? await observeSlurmLease(env, record.id, { alloc: false, who: "rv tui" })
        : null;
    leases.push(
      tuiLease(record, summarize(record.id, record.state, { ...state, counts: countByState(state.tasks) }), view),
    );
    tasks.push(...state.tasks);
  }
  const logs = ask.logs.map((wanted) => readLog(env.root, wanted, tasks));
  return { at: env.now().toISOString(), leases, tasks, logs };
}

function tuiLease(record: Lease, summary: ReturnType<typeof summarize>, view: SlurmLeaseLook | null): TuiLease {
  const phase: LeasePhase | null = view?.phase ?? (record.kind === "slurm" ? { kind: "released" } : null);
  const parts = view ? partsOf(view.lease) : 1;
  const gaps = view ? renewalSeconds(view.segments, parts).filter((s): s is number => s !== null) : [];
  return {
    id: record.id,
    kind: record.kind,
    state: record.state,
    phase: phase ? describePhase(phase) : null,
    phaseTone: phase ? toneOf(phase) : null,
    timeLeftSeconds: view?.timeLeftSeconds ?? null,
    renewalGapSeconds: gaps.at(-1) ?? null,
    runners: summary.runners,
    gpus: { busy: summary.gpus.busy, free: summary.gpus.free },
    tooLarge: summary.tooLarge,
    parts: view && parts > 1 ? partsNow(view.segments, parts) : null,
    race: view && view.segments.length === 0 ? view.race : null,
  };
}

function toneOf(phase: LeasePhase): TuiLease["phaseTone"] {
  if (phase.kind === "failed" || phase.kind === "paused") return "bad";
  if (phase.kind === "racing" || phase.kind === "queued" || phase.kind === "retrying") return "wait";
  return null;
}

function readLog(root: string, ask: TuiLogAsk, tasks: { id: string; attempt: number }[]): TuiLog {
  const attempt = tasks.find((t) => t.id === ask.taskId)?.attempt ?? 1;
  const stream = ask.stream === "stdout" ? "out" : "err";
  const tail = readLogTail(leasePaths(root, ask.lease), ask.taskId, attempt, stream, ask.tailBytes);
  return { taskId: ask.taskId, stream: ask.stream, ...tail };
}
