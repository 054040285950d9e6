import { withFileLock } from "./lock.ts";
import type { LeasePaths } from "./paths.ts";
import { tryReadRecord, writeRecordAtomic } from "./records.ts";
import { type Lease, LeaseSchema } from "./schema.ts";

/**
 * The two things a runner needs of `lease.json`: whether the lease was released, and marking it released when
 * it gives the lease up by itself (`--idle-release`). They live here, not in `src/lease`, because the runner
 * may import only `fsqueue` (DESIGN.md section 1): plain reads and whole-record writes, nothing of Slurm.
 */

/** True only for a readable record that says released: a runner without a record (tests, a bare `rv runner`) serves on. */
export function leaseReleased(p: LeasePaths): boolean {
  const parsed = tryReadRecord(p.leaseFile, LeaseSchema);
  return parsed?.ok === true && parsed.value.state === "released";
}

/**
 * The one way an existing `lease.json` changes: read it, change it, replace it whole (invariant 4), all while
 * holding `lease.json.lock`. Two writers at once (a release and the race's winner, two extends, a runner's idle
 * release) then never lose each other's change. `change` gets the record as it is now (undefined: none, or
 * unreadable) and returns the new one, or undefined to leave it as it is. Returns the record as it stands after.
 */
export function updateLeaseRecord(
  p: LeasePaths,
  change: (lease: Lease | undefined) => Lease | undefined,
): Lease | undefined {
  return withFileLock(p.leaseLock, () => {
    const parsed = tryReadRecord(p.leaseFile, LeaseSchema);
    const next = change(parsed?.ok ? parsed.value : undefined);
    if (next === undefined) return parsed?.ok ? parsed.value : undefined;
    writeRecordAtomic(p.tmp, p.leaseFile, next);
    return next;
  });
}

/** Marks the lease released; undefined when there is no record to release. */
export function markLeaseReleased(p: LeasePaths): Lease | undefined {
  return updateLeaseRecord(p, (lease) =>
    lease && lease.state !== "released" ? { ...lease, state: "released" } : undefined,
  );
}
