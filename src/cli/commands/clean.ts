import { RvError } from "../../errors.ts";
import { cleanOp } from "../../ops/index.ts";
import { plural } from "../../plural.ts";
import type { Context } from "../context.ts";
import { parseDurationMs } from "../flags.ts";
import { printJson } from "../output.ts";
import { gather, missingJson, placesFor, reportMissing } from "../route.ts";

export interface CleanOptions {
  olderThan?: string;
  tag?: string[];
  lease?: string;
  delete?: boolean;
  dryRun?: boolean;
  all?: boolean;
}

/** `rv clean`: finished tasks archived (or deleted) here and on the cluster, each where it lives. */
export async function runClean(ctx: Context, options: CleanOptions): Promise<number> {
  const given = parseDurationMs("--older-than", options.olderThan);
  const olderThanMs = given === undefined ? null : Math.round(given);
  const tags = options.tag ?? [];
  if (options.delete && olderThanMs === null && tags.length === 0 && !options.all) {
    throw new RvError(
      "usage",
      "--delete removes tasks and their logs for good: say which (--older-than, --tag) or --all",
      {
        hint: "for example: rv clean --delete --older-than 30d; without --delete, rv clean archives instead",
      },
    );
  }
  const input = {
    lease: options.lease ?? null,
    olderThanMs,
    tags,
    delete: options.delete === true,
    dryRun: options.dryRun === true,
  };
  const { reached, missing } = await gather(placesFor(ctx, options.lease), (place) => place.call(cleanOp, input));
  const cleaned = reached.flatMap(({ place, value }) => value.cleaned.map((t) => ({ ...t, place: place.name })));
  const kept = reached.flatMap(({ place, value }) => value.kept.map((t) => ({ ...t, place: place.name })));
  const verb = options.delete ? "deleted" : "archived";
  if (ctx.json) {
    printJson(ctx.io, { dryRun: input.dryRun, action: verb, cleaned, kept, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "tasks");
  if (input.dryRun) for (const t of cleaned) ctx.io.out(`${t.id}\t${t.name ?? ""}\t${t.state}\t${t.endedAt}\n`);
  for (const t of kept) ctx.io.err(`rv: kept ${t.id}${t.name ? ` (${t.name})` : ""}: ${t.why}\n`);
  const count = plural(cleaned.length, "finished task");
  ctx.io.err(
    input.dryRun
      ? `rv: would have ${verb} ${count}\n`
      : `rv: ${verb} ${count}${options.delete ? "" : " (see them with: rv tasks --archived)"}\n`,
  );
  return 0;
}
