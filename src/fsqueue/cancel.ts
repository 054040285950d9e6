import { rmdirSync } from "node:fs";
import { claimTask, ensureClaimDir } from "./claim.ts";
import { clearControl, requestControl } from "./control.ts";
import { finishClaim } from "./finish.ts";
import { claimDir, type LeasePaths } from "./paths.ts";

/**
 * A client cancels a pending task the way a runner would start it: it claims it (so no runner can),
 * then records it `cancelled`. The cancel request is written first, so a client that dies half-way
 * leaves a claim that recovery settles as cancelled rather than running it.
 */
export function cancelPendingTask(
  p: LeasePaths,
  key: string,
  client: string,
  context: { host: string; now: Date },
): "cancelled" | "not-pending" {
  requestControl(p, key, "cancel", client, context.now);
  ensureClaimDir(p, client);
  const claim = claimTask(p, client, key);
  try {
    if (claim.kind !== "claimed") return "not-pending";
    finishClaim(p, claim.file, claim.task, {
      state: "cancelled",
      exitCode: null,
      signal: null,
      reason: "cancelled before it started",
      startedAt: null,
      endedAt: context.now.toISOString(),
      runner: null,
      host: context.host,
      gpus: [],
    });
    clearControl(p, key, "cancel");
    return "cancelled";
  } finally {
    try {
      rmdirSync(claimDir(p, client));
    } catch {
      // Another claim of this client is in flight, or the directory is gone already.
    }
  }
}
