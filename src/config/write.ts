import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parse, stringify } from "smol-toml";
import writeFileAtomic from "write-file-atomic";
import { type ClusterConfig, ClusterConfigSchema, configPath } from "./index.ts";

/**
 * Sets the `[cluster]` table of `$RV_HOME/config.toml`, keeping every other setting, in one atomic replace
 * (0600): a crash leaves the old file or the new one, never half of it. Comments in the file are not kept,
 * because smol-toml does not round-trip them; the file says so at its top.
 */
export function saveClusterConfig(root: string, cluster: ClusterConfig): string {
  const file = configPath(root);
  let existing: Record<string, unknown> = {};
  try {
    existing = parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const next = { ...existing, cluster: ClusterConfigSchema.parse(cluster) };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const header = "# rv settings (docs/configuration.md). rv init rewrites this file; comments are not kept.\n";
  writeFileAtomic.sync(file, `${header}${stringify(next)}\n`, { mode: 0o600 });
  return file;
}
