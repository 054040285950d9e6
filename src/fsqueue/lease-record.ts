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
 * Replaces `lease.json` whole with the same record saying released (invariant 4: never edited in place).
 * Returns the record as it was, or undefined when there is none to release.
 */
export function markLeaseReleased(p: LeasePaths): Lease | undefined {
  const parsed = tryReadRecord(p.leaseFile, LeaseSchema);
  if (!parsed?.ok) return undefined;
  if (parsed.value.state !== "released") writeRecordAtomic(p.tmp, p.leaseFile, { ...parsed.value, state: "released" });
  return parsed.value;
}
