/**
 * Lock files (`withFileLock`, a lease's turns) are judged stale as runners are (invariant 5): by how long the
 * taker has seen the holder's token stand still on its own clock, or on the holder's own host by its pid (for a lock
 * meant to stand only while its holder runs; never for a turn, which outlives its taker). Another
 * host is faked by writing its lock as it would: its name, pid and clock in the token, its clock in the mtime.
 */
import { existsSync, linkSync, readdirSync, readFileSync, renameSync, utimesSync, watch, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { basename, join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import {
  breakStale,
  judgeLock,
  type LeasePaths,
  LOCK_STALE_MS,
  type LockSighting,
  type LockSpan,
  lockAsideFile,
  lockToken,
  lockWitnessFile,
  markLeaseReleased,
  sightLock,
  type Take,
  takeFile,
  WITNESS_STALE_MS,
  withFileLock,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { LEASE, openLease } from "./factory.ts";
import { deadPid, goAllAlive, startWorkers } from "./workers.ts";

let home: { root: string; cleanup: () => void };
let p: LeasePaths;
beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

const T = LOCK_STALE_MS;
const HELD_WHILE_RUNS: LockSpan = "while-holder-runs";
const MINUTE = 60_000;
const NOW = Date.parse("2025-06-01T12:00:00Z");

function sightingOf(take: Take): LockSighting | undefined {
  if (take.taken) throw new Error(`expected the lock held, but this look took it (${take.token})`);
  return take.sighting;
}

/** Writes the lock as `host` would have taken it at `at` by its own clock, mtime included. */
function leaveLock(file: string, host: string, pid: number, at: Date): string {
  const token = lockToken(host, pid, "n0nce", at);
  writeFileSync(file, `${token}\n`);
  utimesSync(file, at, at);
  return token;
}

test("invariant 5: liveness by the observer's clock — a lock is stale once its token stood still for T as seen by the taker, or at once when its holder on this host is dead, unless it is a turn, which outlives its taker", () => {
  const remote = lockToken("node7", 4242, "a1", new Date("2099-01-01T00:00:00Z"));
  const judge = (
    sighting: LockSighting,
    nowMs: number,
    localHost = "login1",
    alive = true,
    span: LockSpan = HELD_WHILE_RUNS,
  ) => judgeLock({ sighting, nowMs, staleMs: T, localHost, span, pidAlive: (pid) => pid === 4242 && alive });

  const first = sightLock(undefined, remote, NOW);
  expect(first).toEqual({ token: remote, seenAtMs: NOW });
  // Another host's pid means nothing here, dead or alive; only the token standing still counts.
  expect(judge(first, NOW + T, "login1", false)).toBe("held");
  expect(sightLock(first, remote, NOW + T)).toBe(first);
  expect(judge(sightLock(first, remote, NOW + T + 1), NOW + T + 1)).toBe("stale");
  // A new take (same holder, new nonce) starts the watch again.
  const retaken = sightLock(first, lockToken("node7", 4242, "b2", new Date(NOW)), NOW + T);
  expect(retaken.seenAtMs).toBe(NOW + T);
  expect(judge(retaken, NOW + T + 1)).toBe("held");

  // On the holder's host: a dead pid is proof enough; a live one (perhaps reused) is watched like any other.
  expect(judge(first, NOW, "node7", false)).toBe("stale");
  expect(judge(first, NOW + T, "node7", true)).toBe("held");
  expect(judge(first, NOW + T + 1, "node7", true)).toBe("stale");
  // A turn outlives its taker by design (a supervisor exits right after it submits): its dead pid proves nothing.
  expect(judge(first, NOW, "node7", false, "outlives-holder")).toBe("held");
  expect(judge(first, NOW + T, "node7", false, "outlives-holder")).toBe("held");
  expect(judge(first, NOW + T + 1, "node7", false, "outlives-holder")).toBe("stale");
  // Content that is no token (an older rv's lock, a holder that died before writing it) is only watched.
  expect(judge(sightLock(undefined, "", NOW), NOW + T, "node7", false)).toBe("held");
  expect(judge(sightLock(undefined, "2025-06-01T12:00:00.000Z 4242", NOW), NOW + T + 1)).toBe("stale");
});

test("invariant 5: liveness by the observer's clock — a lock whose mtime is 10 minutes ahead or behind is judged by observation, not by mtime", () => {
  for (const skewMs of [10 * MINUTE, -10 * MINUTE]) {
    const token = leaveLock(p.leaseLock, "node7", 4242, new Date(NOW + skewMs));
    const at = (ms: number) => new Date(NOW + ms);

    const first = sightingOf(takeFile(p.leaseLock, at(0), T, undefined, HELD_WHILE_RUNS));
    expect(first).toEqual({ token, seenAtMs: NOW });
    const watched = sightingOf(takeFile(p.leaseLock, at(T), T, first, HELD_WHILE_RUNS));
    expect(watched).toEqual(first);
    // A taker that only now looks for the first time must watch for T itself.
    expect(sightingOf(takeFile(p.leaseLock, at(T + 1), T, undefined, HELD_WHILE_RUNS))).toEqual({
      token,
      seenAtMs: NOW + T + 1,
    });

    const taken = takeFile(p.leaseLock, at(T + 1), T, watched, HELD_WHILE_RUNS);
    if (!taken.taken) throw new Error("a token watched for longer than T was not taken over");
    expect(readFileSync(p.leaseLock, "utf8")).toBe(`${taken.token}\n`);
    const [host, pid, nonce, time] = taken.token.split(" ");
    expect({ host, pid, nonce, time }).toEqual({
      host: hostname(),
      pid: String(process.pid),
      nonce: expect.stringMatching(/^[0-9a-z]{12}$/),
      time: at(T + 1).toISOString(),
    });
  }
});

test("invariant 4: nothing is edited in place — a lease lock left by a process of this host that died is taken over at once", async () => {
  writeRecordAtomic(p.tmp, p.leaseFile, {
    ...{ v: 1, id: LEASE, kind: "local", createdAt: new Date(0).toISOString(), host: "h", state: "active" },
  });
  // Taken a minute from now by this host's clock: its mtime says fresh, its dead pid says stale.
  leaveLock(p.leaseLock, hostname(), await deadPid(), new Date(Date.now() + MINUTE));
  const started = Date.now();
  expect(markLeaseReleased(p)).toMatchObject({ state: "released" });
  expect(Date.now() - started).toBeLessThan(T / 2);
  expect(existsSync(p.leaseLock)).toBe(false);
});

test("invariant 4: nothing is edited in place — a slow holder whose lease lock was taken over does not delete its successor's", () => {
  let successor = "";
  withFileLock(p.leaseLock, () => {
    // Meanwhile another taker watched this holder's token for longer than T and took the lock over.
    const look = takeFile(p.leaseLock, new Date(NOW), T, undefined, HELD_WHILE_RUNS);
    const later = takeFile(p.leaseLock, new Date(NOW + T + 1), T, sightingOf(look), HELD_WHILE_RUNS);
    if (!later.taken) throw new Error("the successor did not take the lock over");
    successor = later.token;
  });
  expect(readFileSync(p.leaseLock, "utf8")).toBe(`${successor}\n`);
});

test("invariant 4: nothing is edited in place — of 6 processes taking the lease lock at once exactly one gets it, free or left by a process that died", async () => {
  const dead = await deadPid();
  for (const left of [false, true]) {
    if (left) leaveLock(p.leaseLock, hostname(), dead, new Date());
    const workers = await startWorkers(Array.from({ length: 6 }, () => ["take", home.root, LEASE, p.leaseLock]));
    const results = await goAllAlive<{ token: string | null }>(workers);
    const winners = results.flatMap((r) => (r.token === null ? [] : [r.token]));
    expect(winners).toHaveLength(1);
    expect(readFileSync(p.leaseLock, "utf8")).toBe(`${winners[0]}\n`);
    // Locks moved aside are gone, none put in place of another.
    expect(readdirSync(p.dir).filter((name) => name.includes(".stale-"))).toEqual([]);
  }
});

test("invariant 4: nothing is edited in place — a taker that judged a lock stale, and breaks it only after another broke it and took it, moves nothing: the new holder's lock is never missing", async () => {
  const stale = leaveLock(p.leaseLock, hostname(), await deadPid(), new Date());
  // The second taker read the dead holder's token before the first took the lock over.
  const readEarlier: LockSighting = { token: stale, seenAtMs: Date.now() };
  const first = takeFile(p.leaseLock, new Date(), T, undefined, HELD_WHILE_RUNS);
  if (!first.taken) throw new Error("the first taker did not take the dead holder's lock");
  const events: string[] = [];
  const watcher = watch(p.dir, (type, name) => events.push(`${type} ${name}`));
  try {
    expect(breakStale(p.leaseLock, readEarlier, Date.now())).toEqual({ kind: "lost" });
    // Events arrive in order: once the sentinel's has, every event of the break has too.
    writeFileSync(join(p.dir, "sentinel"), "");
    await waitFor(() => events.includes("rename sentinel"), { what: "the watcher to catch up" });
  } finally {
    watcher.close();
  }
  // Moved aside and put back (as before breakStale), the lock was missing for an instant: a third taker could have
  // created one then, and two would hold it.
  expect(events.filter((event) => event === `rename ${basename(p.leaseLock)}`)).toEqual([]);
  expect(readFileSync(p.leaseLock, "utf8")).toBe(`${first.token}\n`);
  expect(readdirSync(p.dir).filter((name) => /\.(breaking|stale)-/.test(name))).toEqual([]);
});

test("invariant 4: nothing is edited in place — a taker that died breaking a lock leaves its witness: the lock is not broken under it until the taker has seen that witness for a while, and then it is", async () => {
  const stale = leaveLock(p.leaseLock, hostname(), await deadPid(), new Date(NOW));
  const witness = lockWitnessFile(p.leaseLock, stale);
  linkSync(p.leaseLock, witness);
  const look = (ms: number, seen?: LockSighting) => takeFile(p.leaseLock, new Date(NOW + ms), T, seen, HELD_WHILE_RUNS);
  const first = sightingOf(look(0));
  expect(first).toEqual({ token: stale, seenAtMs: NOW, witnessSeenAtMs: NOW });
  expect(sightingOf(look(WITNESS_STALE_MS, first))).toEqual(first);
  expect(existsSync(witness)).toBe(true);
  expect(readFileSync(p.leaseLock, "utf8")).toBe(`${stale}\n`);
  // Standing longer: dropped, and the same look breaks the lock and takes it.
  const taken = look(WITNESS_STALE_MS + 1, first);
  if (!taken.taken) throw new Error("the lock was not taken once its abandoned witness was dropped");
  expect(readFileSync(p.leaseLock, "utf8")).toBe(`${taken.token}\n`);
  expect(readdirSync(p.dir).filter((name) => /\.(breaking|stale)-/.test(name))).toEqual([]);
});

test("invariant 4: nothing is edited in place — a taker that died mid-break, its witness linked and the stale lock moved aside, leaves both behind: the next take of that lock clears them, and no other lock's", async () => {
  const stale = leaveLock(p.leaseLock, hostname(), await deadPid(), new Date(NOW));
  linkSync(p.leaseLock, lockWitnessFile(p.leaseLock, stale));
  renameSync(p.leaseLock, lockAsideFile(p.leaseLock, "d1edmidbreak"));
  // Another lock's break, under way: not this lock's to clear.
  const other = leaveLock(p.retryLock, hostname(), await deadPid(), new Date(NOW));
  linkSync(p.retryLock, lockWitnessFile(p.retryLock, other));
  const leftovers = () => readdirSync(p.dir).filter((name) => /\.(breaking|stale)-/.test(name));
  expect(leftovers()).toHaveLength(3);
  const take = takeFile(p.leaseLock, new Date(NOW), T, undefined, HELD_WHILE_RUNS);
  if (!take.taken) throw new Error("the lock was not taken, though nobody held it");
  expect(readFileSync(p.leaseLock, "utf8")).toBe(`${take.token}\n`);
  expect(leftovers()).toEqual([basename(lockWitnessFile(p.retryLock, other))]);
});

test("invariant 4: nothing is edited in place — another host's lock, stale by observation: a taker that finds another breaking it leaves that witness alone, however long it watched the lock", () => {
  const remote = leaveLock(p.leaseLock, "node7", 4242, new Date(NOW));
  const look = (ms: number, seen?: LockSighting) => takeFile(p.leaseLock, new Date(NOW + ms), T, seen, HELD_WHILE_RUNS);
  const watched = sightingOf(look(0));
  // Judged stale after T; at that moment another taker is mid-break (its witness linked).
  const witness = lockWitnessFile(p.leaseLock, remote);
  linkSync(p.leaseLock, witness);
  const breaking = sightingOf(look(T + 1, watched));
  expect(breaking).toEqual({ token: remote, seenAtMs: NOW, witnessSeenAtMs: NOW + T + 1 });
  expect(existsSync(witness)).toBe(true);
  expect(readFileSync(p.leaseLock, "utf8")).toBe(`${remote}\n`);
});
