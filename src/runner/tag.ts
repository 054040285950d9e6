import { readdirSync, readFileSync } from "node:fs";
import { ATTEMPT_TAG_VAR } from "../config/index.ts";

/**
 * Every attempt's environment carries `RV_ATTEMPT_TAG=<runner>/<task>/<attempt>`, a value no other attempt has.
 * A process keeps the environment it was started with through `setsid`, a double fork and the death of its
 * parent, and /proc/PID/environ shows it, so a scan finds what left the task's process group. It needs no
 * privileges (a process of the same user), unlike a cgroup. What escapes it: a process that also clears or
 * overwrites its environment (`env -i`, setproctitle).
 */
export function attemptTag(runner: string, task: string, attempt: number): string {
  return `${runner}/${task}/${attempt}`;
}

/** Whether a /proc/PID/environ (NUL-terminated `NAME=value` entries) holds the tag, as a whole entry. */
export function environHasTag(environ: Buffer, tag: string): boolean {
  const entry = Buffer.from(`${ATTEMPT_TAG_VAR}=${tag}\0`);
  for (let at = environ.indexOf(entry); at !== -1; at = environ.indexOf(entry, at + 1)) {
    if (at === 0 || environ[at - 1] === 0) return true;
  }
  return false;
}

/**
 * The pids an attempt's processes can have. Linux hands pids out in turn (the next free one after the last, wrapping
 * at pid_max; only a privileged checkpoint-restore picks one), so every process started after the leader has a pid
 * after the leader's, up to the last one handed out, going round at pid_max: while the pids have not gone a whole
 * lap since. A cursor moved back (by that privileged restore) only widens the window.
 */
export interface PidWindow {
  /** The leader's pid. */
  after: number;
  /** The last pid handed out (/proc/loadavg's last field). */
  upTo: number;
  /** pid_max: pids are below it. */
  max: number;
}

export function inPidWindow(pid: number, window: PidWindow): boolean {
  const { after, upTo } = window;
  return after <= upTo ? pid > after && pid <= upTo : pid > after || pid <= upTo;
}

/** The window's pids (1 to pid_max - 1, going round), when there are at most `limit` (else `undefined`). */
export function windowPids(window: PidWindow, limit: number): number[] | undefined {
  const { after, upTo, max } = window;
  const size = (upTo - after + max - 1) % (max - 1);
  if (size > limit) return undefined;
  return Array.from({ length: size }, (_, i) => ((after + i) % (max - 1)) + 1);
}

/**
 * A lap takes nearly pid_max process (or thread) starts. Linux hands pids out under one lock and a start costs
 * microseconds; a machine doing a thousand a millisecond, a million a second, is far beyond any workload, so within
 * pid_max / 1000 ms of the leader's start (32 ms at pid_max 32768, the smallest usual; 4.2 s at 4194304) there was none.
 */
const STARTS_PER_MS_BOUND = 1000;

export function lapFree(elapsedMs: number, pidMax: number): boolean {
  return elapsedMs < pidMax / STARTS_PER_MS_BOUND;
}

/** The leader of an attempt, and when it started (performance.now(): a clock that does not step). */
export interface Leader {
  pid: number;
  startedMs: number;
}

/** Up to this many pids handed out since the leader's are each looked up; more, and /proc is listed instead. */
const PROBE_MAX = 32;

/**
 * The running processes that carry the tag, never this process. One read per process (10-20 µs each), so a scan
 * of every process costs a millisecond or more. With the attempt's `leader`, and soon enough after its start, only
 * the pids handed out since are read (looked up one by one when they are few): the end of a short task, once per
 * task, reads a handful. A zombie's environ reads empty, so only live processes count. Empty where there is no /proc.
 */
export function taggedPids(tag: string, leader?: Leader): number[] {
  const window = leader && pidWindow(leader);
  const probed = window && windowPids(window, PROBE_MAX);
  const found: number[] = [];
  for (const pid of probed ?? listedPids(window)) {
    if (pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // not there (gone, or never handed out), or another user's
    }
    // A pid looked up may be a thread's (threads take pids too, and /proc answers for them unlisted): its process counts.
    if (environHasTag(environ, tag) && (probed === undefined || isProcess(pid))) found.push(pid);
  }
  return found;
}

function isProcess(pid: number): boolean {
  try {
    return new RegExp(`^Tgid:\\s+${pid}$`, "m").test(readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
}

/**
 * The pids in /proc, within `window` if given. A process started after the window was read is left out, as one
 * started after any listing is: only a process of the attempt can start another, and that one is found.
 */
function listedPids(window: PidWindow | undefined): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const pids: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && (window === undefined || inPidWindow(pid, window))) pids.push(pid);
  }
  return pids;
}

/** The window now, or `undefined` (every process is read) when a lap may have passed or Linux does not say. */
function pidWindow(leader: Leader): PidWindow | undefined {
  const max = pidMax();
  if (max === undefined || !lapFree(performance.now() - leader.startedMs, max)) return undefined;
  const upTo = lastPid();
  return upTo === undefined ? undefined : { after: leader.pid, upTo, max };
}

let pidMaxRead: { value: number | undefined } | undefined;

/** pid_max, read once: only an administrator's sysctl changes it (and Bun reads a sysctl file slowly, ~20 µs). */
function pidMax(): number | undefined {
  pidMaxRead ??= { value: positive(() => readFileSync("/proc/sys/kernel/pid_max", "utf8")) };
  return pidMaxRead.value;
}

/** The last pid handed out in this pid namespace: /proc/loadavg's last field (as `ns_last_pid` says, but cheaper). */
function lastPid(): number | undefined {
  return positive(() => readFileSync("/proc/loadavg", "utf8").trim().split(" ").at(-1) ?? "");
}

function positive(read: () => string): number | undefined {
  try {
    const value = Number(read());
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}
