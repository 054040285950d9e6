/**
 * When a lock file (`withFileLock`, a lease's turns) was left by a holder that will not drop it: judged as
 * liveness is (invariant 5), by the taker's own clock. A lock's content is a token unique to one take; a taker
 * remembers when, on its clock, it first saw the current token, and the lock is stale once that token has stood
 * for longer than the stale threshold. The lock's mtime, like any time another host wrote, decides nothing: a
 * node whose clock is 10 minutes off would otherwise break a live holder's lock or wait forever on a dead one.
 */

/** A take's token: who took the lock, a nonce that tells two takes apart, and the time (for people only). */
export function lockToken(host: string, pid: number, nonce: string, now: Date): string {
  return `${host} ${pid} ${nonce} ${now.toISOString()}`;
}

export interface LockHolder {
  host: string;
  pid: number;
}

/** Undefined for content that is no token (an older rv's lock, one whose holder died before writing it). */
export function lockHolder(token: string): LockHolder | undefined {
  const [host, pid, nonce] = token.split(" ");
  // A pid of 0 or below would name a process group to kill(2), never one holder.
  if (!host || !nonce || !/^[1-9]\d*$/.test(pid ?? "")) return undefined;
  return { host, pid: Number(pid) };
}

export interface LockSighting {
  token: string;
  seenAtMs: number;
  /** When this taker first found another taker breaking that token (its witness, lock.ts breakStale). */
  witnessSeenAtMs?: number;
}

export function sightLock(previous: LockSighting | undefined, token: string, nowMs: number): LockSighting {
  if (previous && previous.token === token) return previous;
  return { token, seenAtMs: nowMs };
}

/**
 * How long a lock is meant to stand. One held while its holder works (`withFileLock`) is dropped when the work is
 * done, so a dead holder left it behind. One left on purpose (a lease's turn: it stands for what its taker
 * submitted, and that taker, a one-shot supervisor, exits right after) outlives its holder by design.
 */
export type LockSpan = "while-holder-runs" | "outlives-holder";

export interface LockFacts {
  sighting: LockSighting;
  nowMs: number;
  staleMs: number;
  localHost: string;
  span: LockSpan;
  /** Only asked when the holder is on this host, where a pid means something. */
  pidAlive: (pid: number) => boolean;
}

/**
 * On the holder's own host a dead pid is proof enough, for a lock meant to stand only while its holder runs. A
 * turn's dead pid proves nothing (its taker exited after it submitted); there, anywhere else, and for a live pid
 * (perhaps reused by another process), only the token observed to stand still for longer than the threshold counts.
 */
export function judgeLock(f: LockFacts): "held" | "stale" {
  const holder = lockHolder(f.sighting.token);
  const pidSays = f.span === "while-holder-runs" && holder?.host === f.localHost;
  if (pidSays && !f.pidAlive(holder.pid)) return "stale";
  return f.nowMs - f.sighting.seenAtMs > f.staleMs ? "stale" : "held";
}
