import { RvError } from "../../../errors.ts";
import { leaseReleaseOp } from "../../../ops/index.ts";
import type { Context } from "../../context.ts";
import { printJson } from "../../output.ts";
import { gather, missingJson, placeOfLease, placesFor, reportMissing } from "../../route.ts";
import { cliSink } from "../../sink.ts";

export interface ReleaseOptions {
  all?: boolean;
  now?: boolean;
  wait?: boolean;
  dryRun?: boolean;
}

/**
 * `rv lease release L | --all`, wherever the lease lives: drain by default (running tasks finish, then the runners
 * exit), or stop now (their tasks go back to the inbox); queued tasks stay queued either way.
 */
export async function runLeaseRelease(ctx: Context, id: string | undefined, options: ReleaseOptions): Promise<number> {
  if ((id === undefined) === !options.all) throw new RvError("usage", "name one lease, or give --all");
  const input = {
    leases: id === undefined ? [] : [id],
    all: options.all === true,
    now: options.now === true,
    wait: options.wait === true,
    dryRun: options.dryRun === true,
  };
  const places = id === undefined ? placesFor(ctx, null) : [placeOfLease(ctx, id)];
  const sink = cliSink(ctx);
  const { reached, missing } = await gather(places, (place) => place.call(leaseReleaseOp, input, { sink }));
  const leases = reached.flatMap(({ place, value }) => value.leases.map((l) => ({ ...l, where: place.name })));
  const mode = options.now ? "stop" : "drain";
  if (ctx.json) {
    printJson(ctx.io, { dryRun: input.dryRun, mode, leases, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "leases");
  const what = input.dryRun ? "would release" : options.now ? "released (stopping now)" : "released (draining)";
  for (const lease of leases) {
    const jobs = lease.cancelled.length ? `; cancelled job ${lease.cancelled.join(", ")}` : "";
    ctx.io.out(`${lease.id}\t${what}${jobs}\n`);
  }
  return 0;
}
