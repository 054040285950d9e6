import { existsSync, mkdirSync } from "node:fs";
import { PLAIN_WORD_RULE, plainWordProblem } from "../config/index.ts";
import { RvError } from "../errors.ts";
import {
  ensureLeaseDirs,
  type Lease,
  LeaseIdSchema,
  type LeasePaths,
  type LocalLease,
  leasePaths,
  leasesDir,
  listEntries,
  lookAtLeaseRecord,
  PROTOCOL_VERSION,
  readRecord,
  updateLeaseRecord,
  withFileLock,
  writeRecordAtomic,
} from "../fsqueue/index.ts";
import { type BadLease, badLeaseError, type OnBadLease } from "./bad-lease.ts";
import { NO_FAILURES, type Retry, RetrySchema } from "./retry.ts";

export const DEFAULT_LOCAL_LEASE = "local";

export function ensureRoot(root: string): void {
  mkdirSync(leasesDir(root), { recursive: true, mode: 0o700 });
}

/**
 * lease.json of the lease named `id`: undefined when there is none. A record that cannot be read is quarantined
 * (fsqueue's `lookAtLeaseRecord`) and is an error here: the caller cannot go on without it.
 */
export function readLease(root: string, id: string): Lease | undefined {
  const look = lookAtLease(root, id);
  if (look.kind === "bad") throw badLeaseError(look.bad);
  return look.kind === "ok" ? look.lease : undefined;
}

/** lease.json as it stands, a bad one named as such; a name that cannot be a lease's names none. */
export function lookAtLease(
  root: string,
  id: string,
): { kind: "ok"; lease: Lease } | { kind: "none" } | { kind: "bad"; bad: BadLease } {
  if (!LeaseIdSchema.safeParse(id).success) return { kind: "none" };
  const p = leasePaths(root, id);
  const look = lookAtLeaseRecord(p);
  return look.kind === "bad" ? { kind: "bad", bad: { ...look.bad, lease: id, record: p.leaseFile } } : look;
}

/** Every lease with a record, oldest first. One whose record cannot be read is left out and told of to `onBad`. */
export function listLeases(root: string, onBad: OnBadLease): Lease[] {
  const leases: Lease[] = [];
  for (const id of listEntries(leasesDir(root))) {
    const look = lookAtLease(root, id);
    if (look.kind === "ok") leases.push(look.lease);
    else if (look.kind === "bad") onBad(look.bad);
  }
  return leases.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/**
 * A new lease.json, or one made anew (`rv lease up`); a change to one that exists is `updateLease`. Written under
 * the record's lock like every lease.json write: a reader quarantining the bad record this replaces reads it again
 * under that lock, so it never moves the new one aside.
 */
export function writeLease(root: string, lease: Lease): void {
  const p = leasePaths(root, lease.id);
  ensureLeaseDirs(p);
  updateLeaseRecord(p, () => lease);
}

/**
 * Changes lease.json as it is now, under its lock (fsqueue's `updateLeaseRecord`): `change` returns the new record,
 * or undefined to leave it. Returns the record as it stands after; a lease that is gone is not found.
 */
export function updateLease(root: string, id: string, change: (lease: Lease) => Lease | undefined): Lease {
  const after = updateLeaseRecord(leasePaths(root, id), (lease) => lease && change(lease));
  return after ?? requireLease(root, id);
}

/** The lease's failures in a row and its pause; none when the file is missing. */
export function readRetry(p: LeasePaths): Retry {
  return existsSync(p.retryFile) ? readRecord(p.retryFile, RetrySchema) : NO_FAILURES;
}

export function writeRetry(p: LeasePaths, retry: Retry): void {
  updateRetry(p, () => retry);
}

/** Changes retry.json as it is now, under its lock (as lease.json is changed); returns the record written. */
export function updateRetry(p: LeasePaths, change: (current: Retry) => Retry): Retry {
  return withFileLock(p.retryLock, () => {
    const next = change(readRetry(p));
    writeRecordAtomic(p.tmp, p.retryFile, next);
    return next;
  });
}

export function newLocalLease(
  id: string,
  host: string,
  now: Date,
  resources: { gpuIds?: string[]; cpus?: number },
): LocalLease {
  return { v: PROTOCOL_VERSION, id, kind: "local", createdAt: now.toISOString(), host, state: "active", ...resources };
}

/** A lease's name is a plain word (config/names.ts): the error names the character that is not. */
export function validateLeaseName(name: string): string {
  if (!LeaseIdSchema.safeParse(name).success) {
    const problem = plainWordProblem(name) ?? JSON.stringify(name);
    throw new RvError("usage", `invalid lease name ${problem}`, { hint: PLAIN_WORD_RULE });
  }
  return name;
}

export function requireLease(root: string, id: string): Lease {
  const lease = readLease(root, id);
  if (!lease) {
    // A hint only: leases with bad records are told of where they are listed.
    const known = listLeases(root, () => {}).map((l) => l.id);
    throw new RvError("not_found", `no lease named ${JSON.stringify(id)}`, {
      hint: known.length
        ? `known leases: ${known.join(", ")}; start a new one with: rv lease up --local --name ${id}`
        : `start one with: rv lease up --local --name ${id}`,
    });
  }
  return lease;
}
