import type { Result } from "./issues.ts";

/**
 * Slurm hostlists: `a6000-[01-02],b-07`, `node[1-3,5]`, `gpu-[001-003]-x`, `r[1-2]-n[01-02]` (several
 * brackets expand as a product, the first varying slowest). A range keeps the width of its lower bound, as
 * Slurm does: `[08-10]` gives 08 09 10, `[8-10]` gives 8 9 10. `""` and `(null)` are the empty list.
 */
const MAX_HOSTS = 100_000;

export function expandHostlist(text: string): Result<string[]> {
  const t = text.trim();
  if (t === "" || t === "(null)") return { ok: true, value: [] };
  const items = splitTopLevel(t);
  if (items === null) return { ok: false, reason: `unbalanced brackets in hostlist "${t}"` };
  const hosts: string[] = [];
  for (const item of items) {
    const expanded = expandItem(item);
    if (typeof expanded === "string") return { ok: false, reason: `${expanded} in hostlist "${t}"` };
    hosts.push(...expanded);
    if (hosts.length > MAX_HOSTS) return { ok: false, reason: `hostlist "${t}" names over ${MAX_HOSTS} hosts` };
  }
  return { ok: true, value: hosts };
}

/** Commas outside brackets separate items; null when brackets do not balance. */
function splitTopLevel(text: string): string[] | null {
  const items: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === "[") depth++;
    else if (c === "]") depth--;
    if (depth < 0 || depth > 1) return null;
    if (c === "," && depth === 0) {
      items.push(text.slice(start, i));
      start = i + 1;
    }
  }
  if (depth !== 0) return null;
  items.push(text.slice(start));
  return items;
}

function expandItem(item: string): string[] | string {
  if (item === "") return "an empty name";
  if (/\s/.test(item)) return `a space in "${item}"`;
  let names = [""];
  for (const part of item.split(/(\[[^\]]*\])/)) {
    if (part === "") continue;
    const values = part.startsWith("[") ? expandRanges(part.slice(1, -1)) : [part];
    if (typeof values === "string") return values;
    if (names.length * values.length > MAX_HOSTS) return `over ${MAX_HOSTS} hosts`;
    names = names.flatMap((prefix) => values.map((v) => prefix + v));
  }
  return names;
}

function expandRanges(body: string): string[] | string {
  const out: string[] = [];
  for (const range of body.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m?.[1]) return `a bad range "${range}"`;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo) return `a backwards range "${range}"`;
    if (hi - lo >= MAX_HOSTS) return `over ${MAX_HOSTS} hosts`;
    for (let n = lo; n <= hi; n++) out.push(String(n).padStart(m[1].length, "0"));
  }
  return out;
}

/**
 * The inverse, for display: names that differ only in their last number are merged, `a6000-01,a6000-02`
 * -> `a6000-[01-02]`. Duplicates are dropped, numbers sorted within a group, and groups keep the order in
 * which they first appear. `expandHostlist(compressHostlist(x))` gives the same set of names as `x`.
 */
export function compressHostlist(hosts: readonly string[]): string {
  const groups = new Map<string, { prefix: string; suffix: string; digits: Set<string> }>();
  for (const host of hosts) {
    const m = /^(.*?)(\d+)(\D*)$/.exec(host);
    const [prefix, digits, suffix] = m ? [m[1] ?? "", m[2] ?? "", m[3] ?? ""] : [host, "", ""];
    const key = `${prefix}\u0000${suffix}\u0000${m ? "" : host}`;
    const group = groups.get(key) ?? { prefix, suffix, digits: new Set<string>() };
    group.digits.add(digits);
    groups.set(key, group);
  }
  return [...groups.values()].map(renderGroup).join(",");
}

function renderGroup({ prefix, suffix, digits }: { prefix: string; suffix: string; digits: Set<string> }): string {
  const sorted = [...digits].sort((a, b) => Number(a) - Number(b) || a.length - b.length);
  if (sorted.length === 1) return `${prefix}${sorted[0]}${suffix}`;
  const runs: string[][] = [];
  for (const d of sorted) {
    const run = runs.at(-1);
    const lo = run?.[0];
    const last = run?.at(-1);
    const follows = lo !== undefined && last !== undefined && Number(d) === Number(last) + 1;
    if (run && follows && String(Number(d)).padStart(lo.length, "0") === d) run.push(d);
    else runs.push([d]);
  }
  const ranges = runs.map((run) => (run.length === 1 ? run[0] : `${run[0]}-${run.at(-1)}`));
  return `${prefix}[${ranges.join(",")}]${suffix}`;
}
