import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * GRES as sinfo, squeue and scontrol print them: `gpu:a6000:4`, `gpu:a6000:8(S:0-47)`, `gpu:1g.10gb:7`,
 * untyped `gpu:4`, several `gpu:a100:4,shard:8`, `(null)`, `gres:gpu:a6000:2` (TRES_PER_NODE),
 * `gres/gpu:a6000=2` (newer Slurm), and GresUsed with indexes `gpu:a6000:2(IDX:0-1)`, `gpu:a6000:0(IDX:N/A)`.
 * A GRES name with no count means one (`--gres=gpu`). A type made only of digits cannot be told from a
 * count: `gpu:3090` reads as 3090 untyped GPUs (Slurm has the same ambiguity).
 */
export const GresEntrySchema = deferred(() =>
  z.discriminatedUnion("kind", [
    z.object({
      kind: z.literal("gres"),
      name: z.string(),
      type: z.nullable(z.string()),
      count: z.int().check(z.nonnegative()),
      /** Device indexes from `(IDX:0-1)`; [] for `IDX:N/A`; null when not printed. */
      indexes: z.nullable(z.array(z.int())),
      /** Socket (or core) list from `(S:0-47)`; null when not printed. */
      sockets: z.nullable(z.array(z.int())),
    }),
    z.object({ kind: z.literal("other"), raw: z.string() }),
  ]),
);
export type GresEntry = z.infer<typeof GresEntrySchema>;

export function parseGres(text: string): GresEntry[] {
  const t = text.trim();
  if (t === "" || t === "(null)" || t.toUpperCase() === "N/A") return [];
  return splitOutsideParens(t).map(parseGresEntry);
}

function parseGresEntry(raw: string): GresEntry {
  const other = { kind: "other", raw } as const;
  const m = /^([^()]*?)(?:\((.*)\))?$/.exec(raw.trim());
  const body = (m?.[1] ?? "").replace(/^gres[:/]/, "");
  const [spec = "", eqCount] = body.split("=");
  const parts = spec.split(":");
  const last = parts.at(-1) ?? "";
  const count = eqCount ?? (parts.length > 1 && /^\d+$/.test(last) ? parts.pop() : "1");
  const [name = "", type, ...rest] = parts;
  if (!/^[A-Za-z][\w.-]*$/.test(name) || rest.length > 0 || type === "" || !/^\d+$/.test(count ?? "")) return other;
  const detail = parseDetail(m?.[2]);
  if (detail === null) return other;
  return { kind: "gres", name, type: type ?? null, count: Number(count), ...detail };
}

function parseDetail(detail: string | undefined): { indexes: number[] | null; sockets: number[] | null } | null {
  if (detail === undefined) return { indexes: null, sockets: null };
  const m = /^(IDX|S):(.*)$/.exec(detail);
  const values = m ? expandNumbers(m[2] ?? "") : null;
  if (!m || values === null) return null;
  return m[1] === "IDX" ? { indexes: values, sockets: null } : { indexes: null, sockets: values };
}

/** `0-1,3` -> [0, 1, 3]; `N/A` -> []; null when malformed. */
function expandNumbers(list: string): number[] | null {
  if (list === "N/A" || list === "") return [];
  const out: number[] = [];
  for (const range of list.split(",")) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(range);
    if (!m) return null;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 65_536) return null;
    for (let n = lo; n <= hi; n++) out.push(n);
  }
  return out;
}

function splitOutsideParens(text: string): string[] {
  const out: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === "(") depth++;
    else if (text[i] === ")") depth = Math.max(0, depth - 1);
    else if (text[i] === "," && depth === 0) {
      out.push(text.slice(start, i));
      start = i + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** How many of `name` (default "gpu") the entries hold, of one type or of every type. */
export function gresCount(entries: readonly GresEntry[], opts: { name?: string; type?: string } = {}): number {
  const name = opts.name ?? "gpu";
  let total = 0;
  for (const e of entries) {
    if (e.kind === "gres" && e.name === name && (opts.type === undefined || e.type === opts.type)) total += e.count;
  }
  return total;
}
