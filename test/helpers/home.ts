import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** A private RV_HOME for one test; removed by the returned cleanup. */
export function makeHome(prefix = "rv-test-"): { root: string; cleanup: () => void } {
  const root = mkdtempSync(join(tmpdir(), prefix));
  // Retried: a runner that is ending may still write its last event while the tree is removed.
  return { root, cleanup: () => rmSync(root, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 }) };
}

/** Every regular file under `dir`, however deep (sockets and other special files left out): what a grep reads. */
export function filesUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? filesUnder(path) : entry.isFile() ? [path] : [];
  });
}
