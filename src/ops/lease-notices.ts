import { leasePaths } from "../fsqueue/index.ts";
import type { SlurmLeaseLook } from "../lease/supervise.ts";
import { Notifier, type Occurrence } from "../notify/index.ts";
import { fileLogger } from "../runner/index.ts";
import { isFinished } from "../slurm/index.ts";
import type { OpEnv } from "./op.ts";

/**
 * How long an op waits for a notification it sends (a segment's last act, a watchdog, `rv lease release`): the
 * first try's time limit and a little more; a webhook that does not answer by then is logged and left.
 */
const OP_WAIT_MS = 12_000;

/** How a Slurm lease ended, as its supervisor's look shows it; null while it lives (or waits out a backoff). */
export function leaseEndOf(
  look: Pick<SlurmLeaseLook, "lease" | "phase" | "segments" | "timeLeftSeconds">,
): Occurrence | null {
  const lease = look.lease.id;
  const { phase } = look;
  switch (phase.kind) {
    case "released": {
      // Released, but its runners may still be finishing their tasks: they tell it as they leave.
      const holding = look.segments.some((v) => v.job.state !== null && !isFinished(v.job.state.kind));
      return holding ? null : { kind: "lease-ended", lease, ended: "released" };
    }
    case "expired":
      return { kind: "lease-ended", lease, ended: "expired", why: "its time is spent" };
    case "paused":
      return { kind: "lease-ended", lease, ended: "failed", why: `${phase.why}; paused until rv lease resume` };
    case "failed":
      return look.timeLeftSeconds <= 0 ? { kind: "lease-ended", lease, ended: "failed", why: phase.why } : null;
    default:
      return null;
  }
}

/**
 * Sends one lease event from an op, and waits for it (bounded): the op's process may end as soon as it returns.
 * Deliveries are logged, masked, in the lease's runner log, beside the runners' own.
 */
export async function tellFromOp(env: OpEnv, occurrence: Occurrence): Promise<void> {
  const notifier = new Notifier({
    root: env.root,
    by: `${env.host}-${process.pid}`,
    host: env.host,
    log: fileLogger(leasePaths(env.root, occurrence.lease).runnerLog),
    env: env.env,
    now: env.now,
  });
  if (notifier.announce(occurrence)) await notifier.settle(OP_WAIT_MS);
}
