import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private RV_HOME for one test; removed by the returned cleanup. */
export function makeHome(prefix = "rv-test-"): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  // Retried: a runner that is ending may still write its last event while the tree is removed.
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}
