/**
 * `--idle-release`: a runner that has seen its lease with nothing waiting and nothing running for the idle
 * limit gives the lease back. "Nothing" is counted over the whole lease (the inbox and every runner's claims),
 * so one idle node of a multi-node lease does not release GPUs another node is busy with.
 */

export interface LeaseActivity {
  /** Tasks in the inbox, runnable here or not: a task that waits is a reason to hold the GPUs. */
  pending: number;
  /** Tasks claimed by any runner of the lease, this one included. */
  claimed: number;
}

export interface IdleVerdict {
  /** Since when (epoch ms) the lease has been idle without a break; null while it is busy. */
  idleSince: number | null;
  /** The idle limit is reached: release the lease. */
  release: boolean;
}

/**
 * The idle clock, one look at a time: it starts at the first idle look, survives idle looks, and is reset by
 * any look that finds a task waiting or running. `idleSince` is what the previous look returned (the runner's
 * start when there was none, so a lease nobody ever uses is released too).
 */
export function idleVerdict(
  idleSince: number | null,
  activity: LeaseActivity,
  nowMs: number,
  limitMs: number,
): IdleVerdict {
  if (activity.pending > 0 || activity.claimed > 0) return { idleSince: null, release: false };
  const since = idleSince ?? nowMs;
  return { idleSince: since, release: nowMs - since >= limitMs };
}
