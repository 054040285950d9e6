import type { Config } from "../../../config/index.ts";
import { RvError } from "../../../errors.ts";
import { leasePaths, newRunnerId, readHeartbeats, requestControl } from "../../../fsqueue/index.ts";
import { listLeases, readLease, requireLease, updateLease } from "../../../lease/index.ts";
import { pidAlive } from "../../../runner/index.ts";
import type { Context } from "../../context.ts";
import { isLeaseLive } from "../../leases.ts";
import { printJson } from "../../output.ts";

export interface ReleaseOptions {
  all?: boolean;
  now?: boolean;
  wait?: boolean;
  dryRun?: boolean;
}

/**
 * Releasing drains by default: runners stop claiming and exit when their running tasks end. `--now`
 * stops them at once; their running tasks go back to the inbox, so nothing is lost either way.
 */
export async function runLeaseRelease(
  ctx: Context,
  config: Config,
  id: string | undefined,
  options: ReleaseOptions,
): Promise<number> {
  if ((id === undefined) === !options.all) throw new RvError("usage", "name one lease, or give --all");
  if (id !== undefined && config.cluster && !readLease(ctx.root, id) && !options.dryRun) {
    const { releaseClusterLease } = await import("./cluster-lease.ts");
    return releaseClusterLease(ctx, config.cluster, id, { now: options.now === true, wait: options.wait === true });
  }
  const leases = options.all
    ? listLeases(ctx.root).filter((l) => l.state === "active")
    : [requireLease(ctx.root, id ?? "")];
  const verb = options.now ? "stop" : "drain";
  const by = newRunnerId(`cli-${ctx.host}`, process.pid);
  if (!options.dryRun) {
    for (const lease of leases) {
      updateLease(ctx.root, lease.id, (now) => ({ ...now, state: "released" }));
      requestControl(leasePaths(ctx.root, lease.id), "lease", verb, by, ctx.now());
    }
    if (options.wait)
      await waitForRunners(
        ctx,
        config,
        leases.map((l) => l.id),
      );
  }
  if (ctx.json) {
    printJson(ctx.io, { dryRun: options.dryRun === true, mode: verb, leases: leases.map((l) => l.id) });
  } else {
    const what = options.dryRun ? "would release" : options.now ? "released (stopping now)" : "released (draining)";
    for (const lease of leases) ctx.io.out(`${lease.id}\t${what}\n`);
  }
  return 0;
}

/**
 * Until no runner of these leases is live, and those on this host have really exited: a runner writes
 * its last heartbeat a moment before its process ends. (Only recent heartbeats: an old one's pid may
 * belong to another process by now.)
 */
async function waitForRunners(ctx: Context, config: Config, ids: string[]): Promise<void> {
  const exiting = (id: string) =>
    readHeartbeats(leasePaths(ctx.root, id)).some(
      (hb) => hb.host === ctx.host && Date.now() - Date.parse(hb.time) < config.runner.staleAfterMs && pidAlive(hb.pid),
    );
  const remaining = () => ids.filter((id) => isLeaseLive(ctx, config, requireLease(ctx.root, id)) || exiting(id));
  while (remaining().length > 0) await new Promise((resolve) => setTimeout(resolve, 100));
}
