import { existsSync } from "node:fs";
import {
  claimDir,
  type EventInput,
  type Heartbeat,
  holdsClaims,
  judgeLiveness,
  type LeasePaths,
  type Liveness,
  listEntries,
  type Observation,
  observe,
  pruneRunner,
  type Recovery,
  readEvents,
  readHeartbeats,
  recoverClaims,
  shouldPrune,
  stillForMs,
} from "../fsqueue/index.ts";
import { killOrphans } from "./kill.ts";
import { pidAlive } from "./proc.ts";

export interface RecoveryContext {
  paths: LeasePaths;
  self: string;
  host: string;
  staleAfterMs: number;
  log: (line: string) => void;
  emit: (event: EventInput) => void;
  /** A recovered task ended for good (failed at its crash limit, or cancelled): rv notify may tell. */
  ended?: (taskId: string) => void;
}

/** What we last saw of a claim directory that has no heartbeat, and when (by our clock) it last changed. */
export interface ListingObservation {
  signature: string;
  seenAtMs: number;
}

export function observeListing(
  previous: ListingObservation | undefined,
  signature: string,
  nowMs: number,
): ListingObservation {
  return previous?.signature === signature ? previous : { signature, seenAtMs: nowMs };
}

/**
 * Takes back the claims of runners that went stale (and of claim directories whose owner never beat, such
 * as a CLI that died mid-cancel): on this host their orphaned processes are killed first, then fsqueue
 * requeues each claim with a crash counted. Observations are kept here, by this runner's clock.
 */
export class Recoverer {
  private readonly beats = new Map<string, Observation>();
  private readonly listings = new Map<string, ListingObservation>();
  private readonly orphansHandled = new Set<string>();
  private busy = false;

  constructor(private readonly ctx: RecoveryContext) {}

  /** One look at the whole lease; overlapping calls are skipped (a sweep may wait for orphans to die). */
  async sweep(nowMs = Date.now()): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      const withBeat = await this.sweepRunners(nowMs);
      this.sweepOwnerless(withBeat, nowMs);
    } finally {
      this.busy = false;
    }
  }

  private async sweepRunners(nowMs: number): Promise<Set<string>> {
    const seen = new Set<string>();
    for (const hb of readHeartbeats(this.ctx.paths)) {
      seen.add(hb.runner);
      if (hb.runner === this.ctx.self) continue;
      const observation = observe(this.beats.get(hb.runner), hb, nowMs);
      this.beats.set(hb.runner, observation);
      const liveness = judgeLiveness({
        hb,
        observation,
        nowMs,
        staleAfterMs: this.ctx.staleAfterMs,
        localHost: this.ctx.host,
        pidAlive,
      });
      // A runner alive again (it was only paused) gets its orphans killed anew should it die later.
      if (liveness === "alive") {
        this.orphansHandled.delete(hb.runner);
        continue;
      }
      if (liveness === "stale" && hb.host === this.ctx.host) await this.killOrphansOf(hb.runner);
      this.recover(hb.runner, liveness);
      const still = stillForMs({ observation, nowMs });
      this.pruneIfGone(hb, liveness, still);
    }
    for (const runner of this.beats.keys()) if (!seen.has(runner)) this.beats.delete(runner);
    return seen;
  }

  private sweepOwnerless(withBeat: Set<string>, nowMs: number): void {
    const owners = listEntries(this.ctx.paths.claimed).filter(
      (owner) => owner !== this.ctx.self && !withBeat.has(owner) && !owner.startsWith("."),
    );
    for (const owner of [...this.listings.keys()]) if (!owners.includes(owner)) this.listings.delete(owner);
    for (const owner of owners) {
      const names = listEntries(claimDir(this.ctx.paths, owner));
      if (names.length === 0) continue;
      const seen = observeListing(this.listings.get(owner), names.join("\n"), nowMs);
      this.listings.set(owner, seen);
      if (nowMs - seen.seenAtMs > this.ctx.staleAfterMs) this.recover(owner, "without heartbeat");
    }
  }

  private async killOrphansOf(runner: string): Promise<void> {
    if (this.orphansHandled.has(runner)) return;
    this.orphansHandled.add(runner);
    const killed = await killOrphans(readEvents(this.ctx.paths, runner));
    for (const orphan of killed) {
      this.ctx.log(
        `killed orphan of stale runner ${runner}: task ${orphan.task} attempt ${orphan.attempt} (pid ${orphan.pid})`,
      );
    }
  }

  /**
   * A dead runner whose claims are all recovered, still for long enough: its heartbeat goes (gone.ts). Stale is not
   * dead: a runner judged stale by its counter alone may only be paused, so its pid is asked again.
   */
  private pruneIfGone(hb: Heartbeat, liveness: Liveness, stillMs: number): void {
    const facts = {
      liveness,
      holdsClaims: holdsClaims(this.ctx.paths, hb.runner),
      hb,
      localHost: this.ctx.host,
      pidAlive,
      stillForMs: stillMs,
      staleAfterMs: this.ctx.staleAfterMs,
    };
    if (!shouldPrune(facts) || !pruneRunner(this.ctx.paths, hb.runner)) return;
    this.orphansHandled.delete(hb.runner);
    const still = Math.round(stillMs / 1000);
    this.ctx.log(`pruned the heartbeat of runner ${hb.runner}: gone (its claims recovered), still for ${still} s`);
  }

  private recover(owner: string, why: Liveness | "without heartbeat"): void {
    if (!existsSync(claimDir(this.ctx.paths, owner))) return;
    const recoveries = recoverClaims(this.ctx.paths, owner, this.ctx.self, { host: this.ctx.host, now: new Date() });
    for (const recovery of recoveries) {
      const detail = recoveryDetail(recovery, owner, why);
      this.ctx.log(`recovered ${recovery.task}: ${detail}`);
      this.ctx.emit({
        type: "recovered",
        task: recovery.task,
        attempt: recovery.outcome === "requeued" ? recovery.attempt : undefined,
        detail,
      });
      if (recovery.outcome === "failed" || recovery.outcome === "cancelled") this.ctx.ended?.(recovery.task);
    }
  }
}

export function recoveryDetail(recovery: Recovery, owner: string, why: string): string {
  const from = `claimed by ${owner} (${why})`;
  switch (recovery.outcome) {
    case "requeued":
      return `${from}: requeued as attempt ${recovery.attempt}`;
    case "failed":
    case "quarantined":
      return `${from}: ${recovery.outcome}: ${recovery.reason}`;
    default:
      return `${from}: ${recovery.outcome}`;
  }
}
