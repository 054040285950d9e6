import type { Claim } from "../../allocator/index.ts";
import { type LeasePaths, leaseReleased } from "../../fsqueue/index.ts";
import { linkClaim, markStarted, readClaim, readStartedRanks } from "./store.ts";

/**
 * How a started job of a race finds out whether the lease is its own (DESIGN.md section 6). The race is
 * decided here, on the cluster, so a laptop closed mid-race changes nothing: the first job to claim
 * `alloc/winner.json` (link(2), atomic on NFS too) owns the lease; every other job exits.
 *
 * In a race of shapes (`rv lease up --parts auto`) every job of one shape has its rank: the first of them to claim
 * wins the lease for the shape, and the others, when they start, find it theirs too (each is one of its parts).
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
  part: number;
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
  const { lease, attempt, rank, strategyId, jobId, part, node } = me;
  const claimedAt = timing.now().toISOString();
  const claim: Claim = { v: 1, lease, attempt, rank, strategyId, jobId, part, node, claimedAt };
  if (linkClaim(p, claim)) return { won: true, claim };
  return settledOutcome(p, me) ?? { won: false, why: "the claim could not be read back" };
}

/**
 * The race is over already: claimed by this job (when it runs the claim twice), released, or claimed by another job
 * of its shape (whose parts the lease now is, in a race of shapes) or by another strategy's.
 */
function settledOutcome(p: LeasePaths, me: ClaimEntrant): ClaimOutcome | undefined {
  const claim = readClaim(p);
  if (claim?.jobId === me.jobId) return { won: true, claim };
  if (leaseReleased(p)) return { won: false, why: "the lease was released" };
  if (claim?.attempt === me.attempt && claim.rank === me.rank) return { won: true, claim };
  if (claim) return { won: false, why: `strategy ${claim.strategyId} (job ${claim.jobId}) won the race` };
  return undefined;
}
