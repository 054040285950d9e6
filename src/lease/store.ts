import { existsSync, mkdirSync } from "node:fs";
import { RvError } from "../errors.ts";
import {
  ensureLeaseDirs,
  type Lease,
  LeaseIdSchema,
  type LeasePaths,
  LeaseSchema,
  type LocalLease,
  leasePaths,
  leasesDir,
  listEntries,
  PROTOCOL_VERSION,
  readRecord,
  updateLeaseRecord,
  writeRecordAtomic,
} from "../fsqueue/index.ts";
import { NO_FAILURES, type Retry, RetrySchema } from "./retry.ts";

export const DEFAULT_LOCAL_LEASE = "local";

export function ensureRoot(root: string): void {
  mkdirSync(leasesDir(root), { recursive: true, mode: 0o700 });
}

export function readLease(root: string, id: string): Lease | undefined {
  const file = leasePaths(root, id).leaseFile;
  return existsSync(file) ? readRecord(file, LeaseSchema) : undefined;
}

export function listLeases(root: string): Lease[] {
  return listEntries(leasesDir(root))
    .map((id) => readLease(root, id))
    .filter((lease): lease is Lease => lease !== undefined)
    .sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** A new lease.json, or one made anew (`rv lease up`); a change to one that exists is `updateLease`. */
export function writeLease(root: string, lease: Lease): void {
  const p = leasePaths(root, lease.id);
  ensureLeaseDirs(p);
  writeRecordAtomic(p.tmp, p.leaseFile, lease);
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
  writeRecordAtomic(p.tmp, p.retryFile, retry);
}

export function newLocalLease(
  id: string,
  host: string,
  now: Date,
  resources: { gpuIds?: string[]; cpus?: number },
): LocalLease {
  return { v: PROTOCOL_VERSION, id, kind: "local", createdAt: now.toISOString(), host, state: "active", ...resources };
}

export function validateLeaseName(name: string): string {
  if (!LeaseIdSchema.safeParse(name).success) {
    throw new RvError("usage", `invalid lease name ${JSON.stringify(name)}`, {
      hint: "use letters, digits, '.', '_' and '-', starting with a letter or digit",
    });
  }
  return name;
}

export function requireLease(root: string, id: string): Lease {
  const lease = readLease(root, id);
  if (!lease) {
    const known = listLeases(root).map((l) => l.id);
    throw new RvError("not_found", `no lease named ${JSON.stringify(id)}`, {
      hint: known.length
        ? `known leases: ${known.join(", ")}; start a new one with: rv lease up --local --name ${id}`
        : `start one with: rv lease up --local --name ${id}`,
    });
  }
  return lease;
}
