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
 * The running processes that carry the tag, never this process. One read per process (about 20 µs each),
 * so a scan costs milliseconds: fine for a kill, not meant for every tick. A zombie's environ reads empty,
 * so only live processes count. Empty where there is no /proc.
 */
export function taggedPids(tag: string): number[] {
  let names: string[];
  try {
    names = readdirSync("/proc");
  } catch {
    return [];
  }
  const found: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    let environ: Buffer;
    try {
      environ = readFileSync(`/proc/${pid}/environ`);
    } catch {
      continue; // gone meanwhile, or another user's
    }
    if (environHasTag(environ, tag)) found.push(pid);
  }
  return found;
}
