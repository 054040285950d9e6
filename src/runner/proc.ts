import { readdirSync, readFileSync } from "node:fs";
import { statFields } from "./usage.ts";

export interface ProcStat {
  state: string;
  pgrp: number;
  /** Field 22: start time in clock ticks since boot; with the pid it names one process for good. */
  startTime: number;
}

/** `/proc/PID/stat`: `pid (comm) state ppid pgrp ...`. */
export function parseProcStat(text: string): ProcStat | undefined {
  const fields = statFields(text);
  const state = fields[0];
  const pgrp = Number(fields[2]);
  const startTime = Number(fields[19]);
  if (!state || !Number.isInteger(pgrp) || !Number.isInteger(startTime)) return undefined;
  return { state, pgrp, startTime };
}

export function readProcStat(pid: number): ProcStat | undefined {
  try {
    return parseProcStat(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return undefined;
  }
}

/** `undefined` when the process is gone (or there is no /proc). */
export function readProcStart(pid: number): number | undefined {
  return readProcStat(pid)?.startTime;
}

/**
 * Whether `pid` is a running process. A zombie (dead, not yet reaped, common where init does not reap
 * adopted children) is not: a runner killed with -9 must look dead at once.
 */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
  return readProcStat(pid)?.state !== "Z";
}

/** Whether group `pgid` has any process left, zombies included: one kill(2), no look at /proc. */
export function groupExists(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Whether any process of group `pgid` is still running. `kill(-pgid, 0)` also counts zombies nobody has
 * reaped yet, so on Linux a hit is confirmed by looking for a live member in /proc.
 */
export function groupAlive(pgid: number): boolean {
  if (!groupExists(pgid)) return false;
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return true;
  }
  return pids.some((pid) => {
    const stat = readProcStat(Number(pid));
    return stat !== undefined && stat.pgrp === pgid && stat.state !== "Z" && stat.state !== "X";
  });
}
