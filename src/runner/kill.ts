import { setTimeout as sleep } from "node:timers/promises";
import type { RvEvent } from "../fsqueue/index.ts";
import { groupAlive, readProcStart, readProcStat } from "./proc.ts";
import { attemptTag, type Leader, taggedPids } from "./tag.ts";

const POLL_MS = 50;
const AFTER_SIGKILL_MS = 2000;

export type KillOutcome = "gone" | "terminated" | "killed" | "survived";

/**
 * What an attempt started: its process group (the leader's pid), and every process carrying its tag, which
 * finds those that left the group (`setsid`, a double-forked daemon). `pgid` is undefined when the group is
 * not the attempt's any more (its pid was reused): then only the tagged processes are its.
 */
export interface AttemptProcs {
  pgid: number | undefined;
  tag: string;
  /** The leader and its start, when known: soon after it, a scan reads only the pids started since (tag.ts). */
  leader?: Leader;
}

export interface Kill {
  outcome: KillOutcome;
  /** Whether the group had a live member when the kill began. */
  group: boolean;
  /** The attempt's processes outside its group when the kill began. */
  strays: number[];
}

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

/**
 * The live processes carrying the attempt's tag outside its group. Members of the group are left out: the
 * group's signal reaches them, and a second copy of the same signal could cut short a graceful exit.
 */
export function strayPids(procs: AttemptProcs): number[] {
  return taggedPids(procs.tag, procs.leader).filter((pid) => {
    const stat = readProcStat(pid);
    return stat !== undefined && stat.pgrp !== procs.pgid;
  });
}

function signalPids(pids: readonly number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // gone meanwhile
    }
  }
}

/** Sends `signal` to the attempt's group and to its processes outside it. */
export function signalAttempt(procs: AttemptProcs, signal: NodeJS.Signals): void {
  if (procs.pgid !== undefined) signalGroup(procs.pgid, signal);
  signalPids(strayPids(procs), signal);
}

/**
 * SIGTERM to everything the attempt started (its group and the strays outside it), SIGKILL after `graceMs`
 * to whatever is left. Resolves when none of it runs any more, or when even SIGKILL did not end it.
 */
export async function killAttempt(procs: AttemptProcs, graceMs: number): Promise<Kill> {
  const group = liveGroup(procs);
  const strays = strayPids(procs);
  const found = { group: group !== undefined, strays };
  if (group === undefined && strays.length === 0) return { outcome: "gone", ...found };
  if (group !== undefined) signalGroup(group, "SIGTERM");
  signalPids(strays, "SIGTERM");
  if (await waitGone(procs, graceMs)) return { outcome: "terminated", ...found };
  const gone = await waitGone(procs, AFTER_SIGKILL_MS, "SIGKILL");
  return { outcome: gone ? "killed" : "survived", ...found };
}

/** The attempt's group id while a member of it runs. */
function liveGroup(procs: AttemptProcs): number | undefined {
  return procs.pgid !== undefined && groupAlive(procs.pgid) ? procs.pgid : undefined;
}

/**
 * Looks until nothing of the attempt runs, sending `signal` (if any) to what is found at each look: a stray
 * may fork between one look and its kill. Each look scans /proc, so the next waits at least four times what
 * the last cost: a node with many processes is never scanned flat out.
 */
async function waitGone(procs: AttemptProcs, ms: number, signal?: NodeJS.Signals): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    const lookedAt = Date.now();
    const group = liveGroup(procs);
    const strays = strayPids(procs);
    if (group === undefined && strays.length === 0) return true;
    if (signal !== undefined) {
      if (group !== undefined) signalGroup(group, signal);
      signalPids(strays, signal);
    }
    const now = Date.now();
    if (now >= deadline) return false;
    await sleep(Math.min(Math.max(POLL_MS, 4 * (now - lookedAt)), Math.max(1, deadline - now)));
  }
}

/** The line a task's .err log gets when rv stopped what its main process left running. */
export function leftoversNote(kill: Kill): string {
  const n = kill.strays.length;
  const outside = `${n} process${n === 1 ? "" : "es"} outside ${kill.group ? "it" : "its process group"}`;
  const what = [
    ...(kill.group ? ["its process group"] : []),
    ...(n > 0 ? [`${outside} (pid ${kill.strays.join(", ")})`] : []),
  ].join(" and ");
  const how = {
    gone: "already gone",
    terminated: "ended on SIGTERM",
    killed: "ended on SIGKILL after the kill grace",
    survived: "some survived SIGKILL",
  }[kill.outcome];
  return `rv: the task's main process exited; rv stopped what it left running (${what}): ${how}`;
}

export interface StartedAttempt {
  runner: string;
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
      const { runner, pid, procStart } = event;
      open.set(id, { runner, task: event.task, attempt: event.attempt, pid, procStart });
    } else if (event.type === "finished" || event.type === "requeued") {
      open.delete(id);
    }
  }
  return [...open.values()];
}

/**
 * Whether the group of a started attempt is still the task's: its leader is the same process (same start
 * time), or the leader is gone and a live member carries the attempt's tag. Members alone prove nothing: the
 * whole group may have ended long ago (a runner dead for hours), its id handed out again as a pid, and that
 * stranger made leader of a group of its own and exited, leaving its children under the old id.
 */
export function stillOurs(started: StartedAttempt, readStart: (pid: number) => number | undefined): boolean {
  const start = readStart(started.pid);
  if (start !== undefined) return start === started.procStart;
  const tag = attemptTag(started.runner, started.task, started.attempt);
  return groupAlive(started.pid) && taggedPids(tag).some((pid) => readProcStat(pid)?.pgrp === started.pid);
}

/**
 * For the events of a dead runner on this host: SIGKILL everything every attempt it left running started (its
 * group, never a stranger's that reused the pid, and its processes outside the group). Returns the attempts
 * that had something to kill, once all of it is gone.
 */
export async function killOrphans(
  events: readonly RvEvent[],
  readStart: (pid: number) => number | undefined = readProcStart,
): Promise<StartedAttempt[]> {
  const orphans = unfinishedStarts(events).map((started) => ({
    started,
    procs: {
      pgid: stillOurs(started, readStart) ? started.pid : undefined,
      tag: attemptTag(started.runner, started.task, started.attempt),
    },
  }));
  const killed = orphans.filter(({ procs }) => {
    const group = procs.pgid !== undefined && signalGroup(procs.pgid, "SIGKILL");
    const strays = strayPids(procs);
    signalPids(strays, "SIGKILL");
    return group || strays.length > 0;
  });
  await Promise.all(killed.map(({ procs }) => waitGone(procs, AFTER_SIGKILL_MS, "SIGKILL")));
  return killed.map(({ started }) => started);
}
