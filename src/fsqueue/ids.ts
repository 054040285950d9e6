import type { Task } from "./schema.ts";

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";

/**
 * `length` characters of `alphabet` from the system's secure generator (Web Crypto's, which nanoid uses too),
 * uniform: a byte's low 6 bits pick a character, and values past the alphabet are drawn again. Not nanoid itself:
 * it imports node:crypto, whose loading cost every command ~1 ms of its start.
 */
function random(length: number): string {
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(2 * length))) {
      const index = byte & 63;
      if (index < alphabet.length && out.length < length) out += alphabet[index];
    }
  }
  return out;
}

export function randomSuffix(length: number): string {
  return random(length);
}

/**
 * Task ids sort by submit order (base-36 milliseconds) and end in random characters, so a short suffix
 * is already unambiguous. A batch takes one millisecond per task, so it keeps its order and no two of
 * its ids can collide; between submitters the random part (and publish's refusal to overwrite) does.
 */
export function newTaskIds(count: number, nowMs: number): string[] {
  return Array.from({ length: count }, (_, i) => `${(nowMs + i).toString(36).padStart(9, "0")}${random(4)}`);
}

export function newTaskId(nowMs: number): string {
  return newTaskIds(1, nowMs)[0] as string;
}

/** Another draw for an id another task has: the same time, so the task keeps its place in line. */
export function redrawTaskId(id: string): string {
  return `${id.slice(0, 9)}${random(4)}`;
}

/**
 * The key orders dispatch. Task ids already sort by submit time; a requeued task keeps its key and
 * so its place in line.
 */
export function taskKey(task: Pick<Task, "id">): string {
  return task.id;
}

/** Unique per runner process and never reused: host, pid and randomness. */
export function newRunnerId(host: string, pid: number): string {
  const safeHost = host.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 40);
  return `${safeHost}-${pid}-${random(6)}`;
}
