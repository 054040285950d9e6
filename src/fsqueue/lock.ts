import { linkSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, dirname, join } from "node:path";
import { randomSuffix } from "./ids.ts";
import { judgeLock, type LockSighting, type LockSpan, lockToken, sightLock } from "./lock-staleness.ts";
import { lockAsideFile, lockSightingFile, lockWitnessFile } from "./paths.ts";
import { pauseThread } from "./pause.ts";
import { tryReadRecord, writeRecordAtomic } from "./records.ts";
import { LockSightingSchema, PROTOCOL_VERSION } from "./schema.ts";

/** A look at a lock: taken, with this take's token; or held, with when this taker first saw the holder's token. */
export type Take = { taken: true; token: string } | { taken: false; sighting: LockSighting | undefined };

/**
 * A file one process holds at a time: created exclusively (`wx`, atomic on a local disk and on NFSv3 and later),
 * holding a token unique to this take. A holder that died leaves it behind; once judged stale by this taker
 * (lock-staleness.ts; `seen` is when it first saw the holder's token, `span` whether a dead holder pid proves it)
 * it is broken by one taker at a time (breakStale) and created afresh. So of any number of takers exactly one
 * gets it.
 */
export function takeFile(
  file: string,
  now: Date,
  staleMs: number,
  seen: LockSighting | undefined,
  span: LockSpan,
): Take {
  const token = lockToken(hostname(), process.pid, randomSuffix(12), now);
  if (createExclusively(file, token)) return tookIt(file, token);
  const current = readToken(file);
  // Dropped since: the next look creates it.
  if (current === undefined) return { taken: false, sighting: undefined };
  const sighting = sightLock(seen, current, now.getTime());
  const facts = { sighting, nowMs: now.getTime(), staleMs, localHost: hostname(), span, pidAlive: processExists };
  if (judgeLock(facts) === "held") return { taken: false, sighting };
  const broken = breakStale(file, sighting, now.getTime());
  if (broken.kind === "breaking") return { taken: false, sighting: broken.sighting };
  if (broken.kind === "lost" || !createExclusively(file, token)) return { taken: false, sighting: undefined };
  return tookIt(file, token);
}

function tookIt(file: string, token: string): Take {
  try {
    clearBreakLeftovers(file, token);
  } catch {
    // The lock is taken all the same: what is left now is cleared by the next take.
  }
  return { taken: true, token };
}

/**
 * What a taker that died mid-break left of an earlier break of this lock (breakStale, moveAside): a witness, which
 * no later break of another token removes, and a lock moved aside. Cleared by the holder, which drops every
 * witness but its own token's: a break still under way with one is of a lock no longer there, and without its
 * witness moves nothing. A lock moved aside is dropped unless it holds this take's token: a break that got as far
 * as moving this lock aside finds that token in it, and puts it back.
 */
function clearBreakLeftovers(file: string, token: string): void {
  const dir = dirname(file);
  const ownWitness = basename(lockWitnessFile(file, token));
  const witnesses = basename(lockWitnessFile(file, ""));
  const asides = basename(lockAsideFile(file, ""));
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (name.startsWith(witnesses) && name !== ownWitness) dropFile(path);
    else if (name.startsWith(asides) && readToken(path) !== token) dropFile(path);
  }
}

/**
 * `takeFile` for a taker that lives for one look (a lease's supervisor): when this host first saw the holder's
 * token is kept beside the lock (`lockSightingFile`), so a token standing still is judged across processes by
 * this host's clock. Such a taker exits holding the file, which then stands for what it did: its dead pid proves
 * nothing (`outlives-holder`). The token of this take, or null while another holds the file.
 */
export function takeFileAcrossCalls(tmpDir: string, file: string, now: Date, staleMs: number): string | null {
  const host = hostname();
  const memory = lockSightingFile(file, host);
  const stored = tryReadRecord(memory, LockSightingSchema);
  const seen = stored?.ok ? stored.value : undefined;
  const take = takeFile(file, now, staleMs, seen, "outlives-holder");
  if (take.taken) {
    dropFile(memory);
    return take.token;
  }
  if (take.sighting && take.sighting !== seen) {
    try {
      const record = { v: PROTOCOL_VERSION, observer: host, ...take.sighting };
      writeRecordAtomic(tmpDir, memory, LockSightingSchema.parse(record));
    } catch {
      // A read-only or full filesystem: only the memory is lost; the next look starts it afresh.
    }
  }
  return null;
}

/**
 * Drops the lock only while it is still this take's (`token`): a slow holder that was judged stale must not
 * delete its successor's lock. What remains: a takeover in the instant between this read and the unlink (of a
 * lock already held past the stale threshold) is unlinked with it, and its taker goes on as if it held it.
 */
export function dropOwnFile(file: string, token: string): void {
  if (readToken(file) === token) dropFile(file);
}

export function dropFile(file: string): void {
  try {
    unlinkSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
}

/** A lock is held for a read and a write, milliseconds: one seen this long was left by a process that died. */
export const LOCK_STALE_MS = 30_000;
const LOCK_WAIT_MS = 15_000;
const LOCK_POLL_MS = 5;

/**
 * Runs `body` while holding the lock file `file`, waiting for it as long as a lock can be held. The waiter
 * itself is the observer: it judges the holder's token by how long it has watched it.
 */
export function withFileLock<T>(file: string, body: () => T): T {
  const deadline = Date.now() + LOCK_WAIT_MS + LOCK_STALE_MS;
  let take = takeFile(file, new Date(), LOCK_STALE_MS, undefined, "while-holder-runs");
  while (!take.taken) {
    if (Date.now() > deadline) throw new Error(`${file}: still held after ${(LOCK_WAIT_MS + LOCK_STALE_MS) / 1000} s`);
    pauseThread(LOCK_POLL_MS);
    take = takeFile(file, new Date(), LOCK_STALE_MS, take.sighting, "while-holder-runs");
  }
  const { token } = take;
  try {
    return body();
  } finally {
    dropOwnFile(file, token);
  }
}

/**
 * A break takes a few system calls: a witness this taker has found standing for this long was left by a taker that
 * died mid-break. Short beside the lock's own threshold, so that a waiter (withFileLock) still takes the lock
 * within its deadline.
 */
export const WITNESS_STALE_MS = 5000;

export type Break = { kind: "broken" } | { kind: "lost" } | { kind: "breaking"; sighting: LockSighting };

/**
 * Breaks the stale lock of `sighting.token`, one taker at a time: the one that links the lock to that token's own
 * witness name breaks it (link(2) fails where the name exists); another that judged the same token stale finds the
 * witness there and looks again later (`breaking`). A taker that links the witness after the lock became another's
 * new one finds another token in it and moves nothing. So the lock is moved aside, and for an instant missing, only
 * by the one taker breaking the token it holds: a second taker can no longer move aside the lock the first created
 * and, putting it back, lose it to a third that created one meanwhile (two holders, seen with six takers at once).
 * A witness is judged by its own sighting: one this taker has found standing for WITNESS_STALE_MS was left by a
 * taker that died between its link and its unlink, and is dropped before the link is tried again.
 */
export function breakStale(file: string, sighting: LockSighting, nowMs: number): Break {
  const witness = lockWitnessFile(file, sighting.token);
  let linked = linkWitness(file, witness);
  if (linked === "taken") {
    const since = sighting.witnessSeenAtMs ?? nowMs;
    if (nowMs - since <= WITNESS_STALE_MS)
      return { kind: "breaking", sighting: { ...sighting, witnessSeenAtMs: since } };
    dropFile(witness);
    linked = linkWitness(file, witness);
  }
  if (linked !== "linked") return { kind: "lost" };
  try {
    return readToken(witness) === sighting.token && moveAside(file, sighting.token)
      ? { kind: "broken" }
      : { kind: "lost" };
  } finally {
    dropFile(witness);
  }
}

/** link(2) of the lock to its witness name: `taken` when another taker's witness is there, `gone` with the lock. */
function linkWitness(file: string, witness: string): "linked" | "taken" | "gone" {
  try {
    linkSync(file, witness);
    return "linked";
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return "taken";
    if (code === "ENOENT") return "gone";
    throw error;
  }
}

/**
 * Moves the stale lock holding `token` out of the way, under its witness (breakStale). Replaced since by its own
 * holder (judged stale, yet alive: it dropped its lock and another taker created one), what was moved is put
 * back, by link(2), which fails rather than replace a lock created meanwhile; only there may a lock created in the
 * instant between that rename and the link be held twice.
 */
function moveAside(file: string, token: string): boolean {
  const aside = lockAsideFile(file, randomSuffix(12));
  try {
    renameSync(file, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
    throw error;
  }
  try {
    if (readToken(aside) === token) return true;
    linkSync(aside, file);
    return false;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  } finally {
    unlinkSync(aside);
  }
}

function createExclusively(file: string, token: string): boolean {
  try {
    writeFileSync(file, `${token}\n`, { flag: "wx", mode: 0o600 });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw error;
  }
}

/** The token in a lock file; undefined when there is no lock. */
function readToken(file: string): string | undefined {
  try {
    return readFileSync(file, "utf8").trimEnd();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

/**
 * Whether a process of this host has `pid`. Not the runner's `pidAlive` (fsqueue imports nothing above it): a
 * zombie holder counts as alive here, and is judged by observation instead.
 */
function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
