import type { Config } from "../config/index.ts";
import { type Lease, leasePaths } from "../fsqueue/index.ts";
import {
  isLiveRunner,
  isOverdue,
  type LeaseFacts,
  listLeases,
  lookAtSlurmLease,
  type Observer,
  readRunnerViews,
  type SlurmLeaseLook,
} from "../lease/index.ts";
import { pidAlive } from "../runner/index.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { superviseSettled } from "./lease-supervise.ts";
import type { OpEnv } from "./op.ts";

/** How this place judges runners now: by pid on this host, by a heartbeat that stopped changing elsewhere. */
export function observerFor(env: { host: string; now: () => Date; config: Config }): Observer {
  return { host: env.host, nowMs: env.now().getTime(), staleAfterMs: env.config.runner.staleAfterMs, pidAlive };
}

type ObserverEnv = Parameters<typeof observerFor>[0] & { root: string };

export function isLeaseLive(env: ObserverEnv, lease: Pick<Lease, "id">): boolean {
  return readRunnerViews(leasePaths(env.root, lease.id), observerFor(env)).some(isLiveRunner);
}

export function leaseFacts(env: ObserverEnv & Pick<OpEnv, "sink">): LeaseFacts[] {
  return listLeases(env.root, warnOfBadLease(env)).map((lease) => ({
    id: lease.id,
    state: lease.state,
    createdAt: lease.createdAt,
    live: isLeaseLive(env, lease),
  }));
}

/**
 * A reader's look at a Slurm lease (`rv lease show`, the TUI): read only, unless an act has been due for too
 * long (its watchdog could not run), when the reader nudges: it supervises once, as `who` on this host.
 */
export async function observeSlurmLease(
  env: OpEnv,
  id: string,
  options: { alloc: boolean; who: string },
): Promise<SlurmLeaseLook> {
  const look = await lookAtSlurmLease(env, id, options);
  if (!isOverdue(look.due, Math.floor(env.now().getTime() / 1000))) return look;
  const by = `${options.who} on ${env.host}, nudging`;
  return superviseSettled(env, id, { by, ending: null, self: null }, { stayMs: 0, alloc: options.alloc });
}
