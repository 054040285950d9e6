import { expandHostlist } from "./hostlist.ts";
import type { Warn } from "./issues.ts";

/** Small readers shared by the table parsers. Each is total: bad input gives null or [] and a warning. */

export function nodesOf(text: string | undefined, warn: Warn): string[] {
  if (text === undefined) return [];
  const t = text.trim();
  if (t === "None assigned" || t === "N/A") return [];
  const hosts = expandHostlist(t);
  if (hosts.ok) return hosts.value;
  warn(hosts.reason);
  return [];
}

export function intOf(text: string | undefined, warn: Warn, what: string): number | null {
  if (text === undefined) return null;
  const t = text.trim().replace(/\+$/, ""); // sinfo prints `256000+` for a group of unequal nodes
  if (/^\d+$/.test(t)) return Number(t);
  if (t !== "" && t !== "N/A") warn(`${what} is not a number: "${text}"`);
  return null;
}

/** A string cell, null when absent or one of Slurm's empty markers. */
export function textOf(text: string | undefined): string | null {
  if (text === undefined) return null;
  const t = text.trim();
  return t === "" || t === "(null)" || t === "N/A" ? null : t;
}

/** `gpu,a6000` -> ["gpu", "a6000"]; `(null)` -> []. */
export function listOf(text: string | undefined): string[] {
  const t = textOf(text);
  return t === null ? [] : t.split(",").filter((s) => s !== "");
}
