import { existsSync, mkdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { listEntries } from "./layout.ts";
import { withFileLock } from "./lock.ts";
import type { LeasePaths } from "./paths.ts";
import { isNewerRecord, quarantine } from "./quarantine.ts";
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

/**
 * A lease.json no reader can use. `moved-now`: this read quarantined it; `moved-before`: an earlier one did, and the
 * lease's directory (its queue, its tasks) has had no record since; `left`: a newer rv's record, left in place;
 * `unmoved`: it could not be moved aside (a read-only filesystem, no permission), so it stays, the reason says why.
 */
export interface BadLeaseRecord {
  reason: string;
  /** Where the record is now: in the lease's `bad/`, or lease.json itself when it was left or unmoved. */
  file: string;
  state: "moved-now" | "moved-before" | "left" | "unmoved";
}

export type LeaseRecordLook = { kind: "ok"; lease: Lease } | { kind: "none" } | { kind: "bad"; bad: BadLeaseRecord };

/**
 * lease.json as a reader finds it. One that does not parse goes to the lease's `bad/` with the reason (invariant 7),
 * so one bad record never stops a command about other leases; nothing else of the lease moves. The move is made
 * under the record's lock, after reading it again there: a writer's fresh record is never moved aside for the bad
 * one it replaced. One that cannot be moved (nor locked) is bad all the same, left where it is.
 */
export function lookAtLeaseRecord(p: LeasePaths): LeaseRecordLook {
  // existsSync first: a `leases/` entry that is no directory has no record (reading in it would throw ENOTDIR).
  if (!existsSync(p.leaseFile)) return quarantinedBefore(p);
  const first = judgeRead(p);
  if (first.kind !== "move") return first;
  try {
    return withFileLock(p.leaseLock, (): LeaseRecordLook => {
      const again = judgeRead(p);
      if (again.kind !== "move") return again;
      mkdirSync(p.bad, { recursive: true, mode: 0o700 });
      mkdirSync(p.tmp, { recursive: true, mode: 0o700 });
      const moved = quarantine(p, p.leaseFile, again.reason);
      if (moved === undefined) return quarantinedBefore(p);
      return { kind: "bad", bad: { reason: again.reason, file: moved, state: "moved-now" } };
    });
  } catch (error) {
    // Only a filesystem's refusal (it has a code) is the record's to carry; anything else is a bug to see.
    if (typeof (error as NodeJS.ErrnoException).code !== "string") throw error;
    return unmoved(p, error as Error);
  }
}

/**
 * The record could not be moved aside: a filesystem error (read-only, no permission, a `bad/` that is no directory)
 * in the lock, the move or its `.why`. Read as it is now, it is bad where it is, or in `bad/` when only its `.why`
 * failed, or replaced by a writer meanwhile. The other leases are listed all the same (invariant 7).
 */
function unmoved(p: LeasePaths, error: Error): LeaseRecordLook {
  const now = judgeRead(p);
  if (now.kind !== "move") return now;
  const reason = `${now.reason}; it could not be moved aside: ${error.message}`;
  return { kind: "bad", bad: { reason, file: p.leaseFile, state: "unmoved" } };
}

/** lease.json as read now, or `move` with the reason when it is to go to bad/. */
function judgeRead(p: LeasePaths): LeaseRecordLook | { kind: "move"; reason: string } {
  const parsed = tryReadRecord(p.leaseFile, LeaseSchema);
  if (parsed === undefined) return quarantinedBefore(p);
  if (parsed.ok) return { kind: "ok", lease: parsed.value };
  if (isNewerRecord(parsed)) return { kind: "bad", bad: { reason: parsed.reason, file: p.leaseFile, state: "left" } };
  return { kind: "move", reason: parsed.reason };
}

/** A lease directory without lease.json whose record was quarantined: the newest such record in `bad/`, and why. */
function quarantinedBefore(p: LeasePaths): LeaseRecordLook {
  if (!existsSync(p.bad)) return { kind: "none" };
  const prefix = "lease.json.";
  const moved = listEntries(p.bad)
    .filter((name) => name.startsWith(prefix) && !name.endsWith(".why"))
    .map((name) => join(p.bad, name));
  const newest = moved.sort((a, b) => mtimeMs(a) - mtimeMs(b)).at(-1);
  if (newest === undefined) return { kind: "none" };
  return { kind: "bad", bad: { reason: whyOf(newest), file: newest, state: "moved-before" } };
}

function whyOf(file: string): string {
  try {
    return readFileSync(`${file}.why`, "utf8").trim();
  } catch {
    return "the reason was not kept";
  }
}

function mtimeMs(file: string): number {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return 0;
  }
}
