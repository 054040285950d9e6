import { closeSync, existsSync, openSync, readSync, statSync } from "node:fs";
import { type LeasePaths, taskLogFile } from "../fsqueue/index.ts";

/** A requeued task's newest attempt has no log until it starts; show the last one that has. */
export function latestLoggedAttempt(p: LeasePaths, id: string, attempt: number, stream: "out" | "err"): number {
  for (let a = attempt; a >= 1; a--) if (existsSync(taskLogFile(p, id, a, stream))) return a;
  return attempt;
}

/**
 * The last `tailBytes` of a task's newest log, from its first whole line, and the log's size: a view that
 * refreshes every second reads what it shows, never a log of gigabytes.
 */
export function readLogTail(
  p: LeasePaths,
  id: string,
  attempt: number,
  stream: "out" | "err",
  tailBytes: number,
): { text: string; bytes: number } {
  const file = taskLogFile(p, id, latestLoggedAttempt(p, id, attempt, stream), stream);
  if (!existsSync(file)) return { text: "", bytes: 0 };
  const bytes = statSync(file).size;
  const start = Math.max(0, bytes - tailBytes);
  const buffer = Buffer.alloc(bytes - start);
  const fd = openSync(file, "r");
  try {
    readSync(fd, buffer, 0, buffer.length, start);
  } finally {
    closeSync(fd);
  }
  const text = buffer.toString("utf8");
  return { text: start > 0 ? text.slice(text.indexOf("\n") + 1) : text, bytes };
}
