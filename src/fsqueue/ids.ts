import { customAlphabet } from "nanoid";
import type { Task } from "./schema.ts";

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
const random = customAlphabet(alphabet, 12);

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
