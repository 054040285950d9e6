import { RvError } from "../errors.ts";
import type { Lease } from "../fsqueue/index.ts";
import { isLiveRunner, type RunnerView } from "./state.ts";

/**
 * Why a lease may not be removed (`rv lease rm`), or null when it may: only a released lease, and only once no runner
 * of it beats (a draining runner still finishes tasks in it; a runner on another host counts as alive until this
 * host has seen its heartbeat stand still).
 */
export function removalRefusal(
  lease: Pick<Lease, "id" | "state">,
  runners: readonly Pick<RunnerView, "id" | "health">[],
): RvError | null {
  if (lease.state === "active") {
    return new RvError("usage", `lease ${lease.id} is active: only a released lease can be removed`, {
      hint: `rv lease release ${lease.id} first`,
    });
  }
  const live = runners.filter(isLiveRunner);
  if (live.length === 0) return null;
  const which = live.map((r) => `${r.id} (${r.health})`).join(", ");
  return new RvError("usage", `lease ${lease.id} still has a runner alive: ${which}`, {
    hint: `wait for it to exit (rv lease release ${lease.id} --now --wait), then remove the lease`,
  });
}
