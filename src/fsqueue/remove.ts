import { existsSync, renameSync, rmSync } from "node:fs";
import { randomSuffix } from "./ids.ts";
import { leasePaths, removedLeaseDir } from "./paths.ts";

/**
 * Removes a lease's directory, everything in it (`rv lease rm`; the caller has made sure nothing serves the lease).
 * ★ It is first renamed to a dot-name in `leases/`: from that instant no reader finds the lease, never a lease half
 * deleted; then the renamed directory is deleted. A crash between leaves only a dot-directory readers skip.
 * Returns false when the lease was gone already.
 */
export function removeLeaseDir(root: string, leaseId: string): boolean {
  const aside = removedLeaseDir(root, leaseId, randomSuffix(6));
  try {
    renameSync(leasePaths(root, leaseId).dir, aside);
  } catch (error) {
    // As after a claim: a rename a network filesystem reported failed may have happened, and the target tells.
    if (!existsSync(aside)) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return false;
      throw error;
    }
  }
  rmSync(aside, { recursive: true, force: true });
  return true;
}
