import type { Claim } from "../../allocator/index.ts";
import { type LeasePaths, leaseReleased } from "../../fsqueue/index.ts";
import { linkClaim, markStarted, readClaim, readStartedRanks } from "./store.ts";

/**
 * How a started job of a race finds out whether the lease is its own (DESIGN.md section 6). The race is
 * decided here, on the cluster, so a laptop closed mid-race changes nothing: the first job to claim
 * `alloc/winner.json` (link(2), atomic on NFS too) owns the lease; every other job exits.
 *
 * Jobs started in the same scheduling pass are resolved by rank: each marks itself started, waits `settleMs`,
 * and claims only if no better-ranked job has marked itself meanwhile. A job that defers waits `deferMs` for
 * the better one's claim and then claims itself, so a better one that died before claiming stalls no one.
 */
export interface ClaimEntrant {
  lease: string;
  attempt: number;
  rank: number;
  strategyId: string;
  jobId: string;
  node: string | null;
}

export interface ClaimTiming {
  settleMs: number;
  deferMs: number;
  pollMs: number;
  now: () => Date;
  sleep: (ms: number) => Promise<void>;
}

export type ClaimOutcome = { won: true; claim: Claim } | { won: false; why: string };

/** After the settle window: claim unless a better-ranked job of the same attempt started too. */
export function claimTurn(startedRanks: readonly number[], rank: number): "claim" | "defer" {
  return startedRanks.some((r) => r < rank) ? "defer" : "claim";
}

export async function claimRace(p: LeasePaths, me: ClaimEntrant, timing: ClaimTiming): Promise<ClaimOutcome> {
  const settled = settledOutcome(p, me);
  if (settled) return settled;
  markStarted(p, me.attempt, me.rank, me.jobId, timing.now());
  await timing.sleep(timing.settleMs);
  if (claimTurn(readStartedRanks(p, me.attempt), me.rank) === "defer") {
    const deadline = timing.now().getTime() + timing.deferMs;
    while (!readClaim(p) && timing.now().getTime() < deadline) await timing.sleep(timing.pollMs);
  }
  const after = settledOutcome(p, me);
  if (after) return after;
  const { lease, attempt, rank, strategyId, jobId, node } = me;
  const claim: Claim = { v: 1, lease, attempt, rank, strategyId, jobId, node, claimedAt: timing.now().toISOString() };
  if (linkClaim(p, claim)) return { won: true, claim };
  return settledOutcome(p, me) ?? { won: false, why: "the claim could not be read back" };
}

/** The race is over already: released, or claimed (by this job, when it runs the claim twice, or another). */
function settledOutcome(p: LeasePaths, me: ClaimEntrant): ClaimOutcome | undefined {
  const claim = readClaim(p);
  if (claim?.jobId === me.jobId) return { won: true, claim };
  if (claim) return { won: false, why: `strategy ${claim.strategyId} (job ${claim.jobId}) won the race` };
  if (leaseReleased(p)) return { won: false, why: "the lease was released" };
  return undefined;
}
