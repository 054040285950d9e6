import { setTimeout as sleep } from "node:timers/promises";
import type { RvEvent } from "../fsqueue/index.ts";
import { groupAlive, readProcStart } from "./proc.ts";

const POLL_MS = 50;
const AFTER_SIGKILL_MS = 2000;

export type KillOutcome = "gone" | "terminated" | "killed" | "survived";

/** Signals every process of a group (a task and its grandchildren); false when the group is already gone. */
export function signalGroup(pgid: number, signal: NodeJS.Signals): boolean {
  try {
    process.kill(-pgid, signal);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ESRCH") return false;
    throw error;
  }
}

/** SIGTERM to the group, SIGKILL after `graceMs` if any member is left. Resolves when the group is gone. */
export async function killGroup(pgid: number, graceMs: number): Promise<KillOutcome> {
  if (!groupAlive(pgid) || !signalGroup(pgid, "SIGTERM")) return "gone";
  if (await waitGone(pgid, graceMs)) return "terminated";
  signalGroup(pgid, "SIGKILL");
  return (await waitGone(pgid, AFTER_SIGKILL_MS)) ? "killed" : "survived";
}

async function waitGone(pgid: number, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    if (!groupAlive(pgid)) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(POLL_MS, Math.max(1, deadline - Date.now())));
  }
}

export interface StartedAttempt {
  task: string;
  attempt: number;
  pid: number;
  procStart: number;
}

/** Attempts a runner started and never reported finished (or requeued): what may still be running. */
export function unfinishedStarts(events: readonly RvEvent[]): StartedAttempt[] {
  const open = new Map<string, StartedAttempt>();
  for (const event of events) {
    if (event.task === undefined || event.attempt === undefined) continue;
    const id = `${event.task}#${event.attempt}`;
    if (event.type === "started" && event.pid !== undefined && event.procStart !== undefined) {
      open.set(id, { task: event.task, attempt: event.attempt, pid: event.pid, procStart: event.procStart });
    } else if (event.type === "finished" || event.type === "requeued") {
      open.delete(id);
    }
  }
  return [...open.values()];
}

/**
 * Whether the group of a started attempt is still the task's: its leader is the same process (same start
 * time), or the leader is gone but members remain (Linux never hands out a pid still in use as a group id,
 * so those members are the task's grandchildren, not a stranger's).
 */
export function stillOurs(started: StartedAttempt, readStart: (pid: number) => number | undefined): boolean {
  const start = readStart(started.pid);
  return start === undefined ? groupAlive(started.pid) : start === started.procStart;
}

/**
 * For the events of a dead runner on this host: SIGKILL the group of every attempt it left running, never
 * a stranger that reused the pid. Returns the attempts that were killed, once their groups are gone.
 */
export async function killOrphans(
  events: readonly RvEvent[],
  readStart: (pid: number) => number | undefined = readProcStart,
): Promise<StartedAttempt[]> {
  const killed = unfinishedStarts(events).filter(
    (started) => stillOurs(started, readStart) && signalGroup(started.pid, "SIGKILL"),
  );
  await Promise.all(killed.map((started) => waitGone(started.pid, AFTER_SIGKILL_MS)));
  return killed;
}
