import { tagsOp } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { cut, printJson, renderTable } from "../output.ts";
import { gather, missingJson, placesFor, reportMissing } from "../route.ts";

/** `rv tags`: every tag here and on the cluster, with its tasks counted by state. */
export async function runTags(ctx: Context, options: { lease?: string }): Promise<number> {
  const { reached, missing } = await gather(placesFor(ctx, options.lease), (place) =>
    place.call(tagsOp, { lease: options.lease ?? null }),
  );
  const merged = new Map<string, Record<string, number>>();
  for (const { value } of reached) {
    for (const { tag, states } of value.tags) {
      const into = merged.get(tag) ?? {};
      for (const [state, n] of Object.entries(states)) into[state] = (into[state] ?? 0) + n;
      merged.set(tag, into);
    }
  }
  const tags = [...merged]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([tag, states]) => ({ tag, total: Object.values(states).reduce((a, b) => a + b, 0), states }));
  if (ctx.json) {
    printJson(ctx.io, { tags, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "tags");
  const rows = tags.map((t) => [
    cut(t.tag),
    String(t.total),
    Object.entries(t.states)
      .map(([state, n]) => `${n} ${state}`)
      .join(", "),
  ]);
  ctx.io.out(renderTable(ctx.io, ["tag", "tasks", "states"], rows));
  return 0;
}
