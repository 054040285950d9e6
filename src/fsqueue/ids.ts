import { customAlphabet } from "nanoid";

const alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
const random = customAlphabet(alphabet, 12);

export function randomSuffix(length: number): string {
  return random(length);
}

/**
 * Task ids sort by submit time (base-36 milliseconds) and end in random characters, so a short
 * suffix is already unambiguous and the same id never comes from two submitters.
 */
export function newTaskId(nowMs: number): string {
  return `${nowMs.toString(36).padStart(9, "0")}${random(4)}`;
}

/** Unique per runner process and never reused: host, pid and randomness. */
export function newRunnerId(host: string, pid: number): string {
  const safeHost = host.replace(/[^A-Za-z0-9-]/g, "-").slice(0, 40);
  return `${safeHost}-${pid}-${random(6)}`;
}
