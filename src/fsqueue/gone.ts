import { rmdirSync, rmSync } from "node:fs";
import { unlinkIfPresent } from "./finish.ts";
import { listEntries, TMP_MAX_AGE_MS } from "./layout.ts";
import type { Liveness } from "./liveness.ts";
import { claimDir, heartbeatFile, type LeasePaths, shimDir } from "./paths.ts";
import type { Heartbeat } from "./schema.ts";

/**
 * A stale runner whose claims have all been recovered holds nothing any more: it is gone. Its last heartbeat still
 * lists what it ran and the GPUs it had, so readers must not count those; only a claim left in `claimed/<runner>/`
 * (not yet recovered) keeps a dead runner holding its tasks.
 */
export function isGone(liveness: Liveness, holdsClaims: boolean): boolean {
  return liveness === "stale" && !holdsClaims;
}

/** Whether `claimed/<runner>/` has anything in it: claims, or takeovers it was settling when it died. */
export function holdsClaims(p: LeasePaths, runner: string): boolean {
  return listEntries(claimDir(p, runner)).length > 0;
}

/** A gone runner's heartbeat is kept this many stale periods after its last beat, so people see what became of it. */
export const GONE_KEPT_STALE_PERIODS = 4;

/**
 * Where nothing proves a runner dead, only a counter standing still (another host; or this host with its pid alive:
 * a runner stopped with SIGSTOP, or seen right after a laptop woke), its heartbeat goes once the observer has seen it
 * still for a day (as staging files in tmp/), far beyond any pause of a live runner.
 */
export const REMOTE_GONE_KEPT_MS = TMP_MAX_AGE_MS;

export interface PruneFacts {
  liveness: Liveness;
  holdsClaims: boolean;
  hb: Pick<Heartbeat, "host" | "pid">;
  localHost: string;
  /** Only asked when the runner is on this host, where its dead pid proves it dead. */
  pidAlive: (pid: number) => boolean;
  /** How long the observer has seen its heartbeat stand still (`stillForMs`). */
  stillForMs: number;
  staleAfterMs: number;
}

/**
 * Whether a runner's heartbeat may go: it is gone, and has been still for long enough: a few stale periods when its
 * dead pid proves it dead, a day otherwise. Pruning a live runner would strand it: its claim directory goes too.
 */
export function shouldPrune(f: PruneFacts): boolean {
  if (!isGone(f.liveness, f.holdsClaims)) return false;
  const keptMs = GONE_KEPT_STALE_PERIODS * f.staleAfterMs;
  const provenDead = f.hb.host === f.localHost && !f.pidAlive(f.hb.pid);
  return f.stillForMs > (provenDead ? keptMs : Math.max(keptMs, REMOTE_GONE_KEPT_MS));
}

/**
 * Removes a gone runner's empty claim directory, then its heartbeat. The rmdir comes first: once it succeeds the
 * runner can claim nothing more (its renames fail with ENOENT) until it creates the directory again, which only a
 * runner that was not dead after all does, after a beat. When it fails because a claim appeared meanwhile,
 * the heartbeat stays and that claim is recovered first. Its event log stays: it is the lease's history. Its
 * scontrol shim, which a runner that died could not remove, goes too.
 */
export function pruneRunner(p: LeasePaths, runner: string): boolean {
  try {
    rmdirSync(claimDir(p, runner));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") return false;
  }
  unlinkIfPresent(heartbeatFile(p, runner));
  rmSync(shimDir(p, runner), { recursive: true, force: true });
  return true;
}
