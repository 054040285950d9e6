import type { Config } from "../config/index.ts";
import { type Lease, leasePaths } from "../fsqueue/index.ts";
import type { LeaseFacts } from "../lease/select.ts";
import { isLiveRunner, type Observer, type RunnerView, readRunnerViews } from "../lease/state.ts";
import { listLeases } from "../lease/store.ts";
import { pidAlive } from "../runner/proc.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import type { OpEnv } from "./op.ts";

/** How this place judges runners now: by pid on this host, by a heartbeat that stopped changing elsewhere. */
export function observerFor(env: { host: string; now: () => Date; config: Config }): Observer {
  return { host: env.host, nowMs: env.now().getTime(), staleAfterMs: env.config.runner.staleAfterMs, pidAlive };
}

type ObserverEnv = Parameters<typeof observerFor>[0] & { root: string };

/** The lease's runners alive now, as this place judges them. */
export function liveRunners(env: ObserverEnv, lease: Pick<Lease, "id">): RunnerView[] {
  return readRunnerViews(leasePaths(env.root, lease.id), observerFor(env)).filter(isLiveRunner);
}

export function isLeaseLive(env: ObserverEnv, lease: Pick<Lease, "id">): boolean {
  return liveRunners(env, lease).length > 0;
}

export function leaseFacts(env: ObserverEnv & Pick<OpEnv, "sink">): LeaseFacts[] {
  return listLeases(env.root, warnOfBadLease(env)).map((lease) => ({
    id: lease.id,
    state: lease.state,
    createdAt: lease.createdAt,
    live: isLeaseLive(env, lease),
  }));
}
