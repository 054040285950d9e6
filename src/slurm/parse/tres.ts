import { deferred } from "../../deferred.ts";
import { z } from "../../zod.ts";

/**
 * TRES strings: `billing=1,cpu=1,gres/gpu:a6000=2,gres/gpu=2,mem=2000M,node=1` (sacct AllocTRES, scontrol
 * TRES/CfgTRES/AllocTRES, sinfo). Memory is MiB (Slurm's `M`); a value without a unit is MiB too.
 * Keys rv does not model (energy, license/..., fs/disk, ...) and values it cannot read land in `other`, verbatim.
 */
export const TresGresSchema = deferred(() =>
  z.object({ name: z.string(), type: z.nullable(z.string()), count: z.number() }),
);

export const TresSchema = deferred(() =>
  z.object({
    cpus: z.nullable(z.number()),
    memMiB: z.nullable(z.number()),
    nodes: z.nullable(z.number()),
    billing: z.nullable(z.number()),
    /** Slurm lists a typed GPU twice: `gres/gpu:a6000=2` and the untyped total `gres/gpu=2`. Both are kept. */
    gres: z.array(TresGresSchema),
    other: z.record(z.string(), z.string()),
  }),
);
export type Tres = z.infer<typeof TresSchema>;

const memUnits: Record<string, number> = { K: 1 / 1024, M: 1, G: 1024, T: 1024 ** 2, P: 1024 ** 3 };
const scalarKeys = { cpu: "cpus", node: "nodes", billing: "billing" } as const;

export function parseTres(text: string): Tres {
  const tres: Tres = { cpus: null, memMiB: null, nodes: null, billing: null, gres: [], other: {} };
  for (const entry of text.trim().split(",")) {
    if (entry === "") continue;
    const eq = entry.indexOf("=");
    const key = eq < 0 ? entry : entry.slice(0, eq);
    const value = eq < 0 ? "" : entry.slice(eq + 1);
    if (!readEntry(tres, key, value)) tres.other[key] = value;
  }
  return tres;
}

function readEntry(tres: Tres, key: string, value: string): boolean {
  if (key === "mem") {
    const m = /^(\d+(?:\.\d+)?)([KMGTP]?)$/.exec(value);
    if (!m) return false;
    tres.memMiB = Math.round(Number(m[1]) * (memUnits[m[2] || "M"] ?? 1));
    return true;
  }
  const number = /^\d+(?:\.\d+)?$/.test(value) ? Number(value) : null;
  if (number === null) return false;
  if (key in scalarKeys) {
    tres[scalarKeys[key as keyof typeof scalarKeys]] = number;
    return true;
  }
  const g = /^gres\/([^:]+)(?::(.+))?$/.exec(key);
  if (!g?.[1]) return false;
  tres.gres.push({ name: g[1], type: g[2] ?? null, count: number });
  return true;
}

/** GPUs in a TRES: the untyped total when Slurm gives one, else the sum of the typed entries. */
export function tresGpus(tres: Tres): { total: number; byType: Record<string, number> } {
  const byType: Record<string, number> = {};
  let typed = 0;
  let untyped: number | null = null;
  for (const g of tres.gres) {
    if (g.name !== "gpu") continue;
    if (g.type === null) untyped = (untyped ?? 0) + g.count;
    else {
      byType[g.type] = (byType[g.type] ?? 0) + g.count;
      typed += g.count;
    }
  }
  return { total: untyped ?? typed, byType };
}
