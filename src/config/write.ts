import { mkdirSync, readFileSync } from "node:fs";
import { dirname } from "node:path";
import { parse, stringify } from "smol-toml";
import writeFileAtomic from "write-file-atomic";
import { type ClusterConfig, ClusterConfigSchema, ClusterTableSchema, configPath } from "./index.ts";

type Table = Record<string, unknown>;

/**
 * Rewrites `$RV_HOME/config.toml` through `change`, keeping every other setting, in one atomic replace (0600): a
 * crash leaves the old file or the new one, never half of it. An older file's `[cluster]` becomes
 * `[clusters.NAME]` on the way. Comments in the file are not kept, because smol-toml does not round-trip them;
 * the file says so at its top.
 */
function rewriteConfig(root: string, change: (clusters: Table, defaults: Table) => void): string {
  const file = configPath(root);
  let existing: Table = {};
  try {
    existing = parse(readFileSync(file, "utf8"));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const { cluster: legacy, clusters: tables, defaults: table, ...rest } = existing;
  const clusters: Table = { ...((tables as Table | undefined) ?? {}) };
  const defaults: Table = { ...((table as Table | undefined) ?? {}) };
  if (legacy) {
    const { name, ...settings } = ClusterConfigSchema.parse(legacy);
    clusters[name] = settings;
    defaults.cluster ??= name;
  }
  change(clusters, defaults);
  const next = {
    ...rest,
    ...(Object.keys(defaults).length > 0 && { defaults }),
    ...(Object.keys(clusters).length > 0 && { clusters }),
  };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const header = "# rv settings (docs/configuration.md). rv init rewrites this file; comments are not kept.\n";
  writeFileAtomic.sync(file, `${header}${stringify(next)}\n`, { mode: 0o600 });
  return file;
}

/** Adds the cluster, or replaces the one of the same name, and makes it the one commands use. */
export function saveClusterConfig(root: string, cluster: ClusterConfig): string {
  const { name, ...settings } = ClusterConfigSchema.parse(cluster);
  return rewriteConfig(root, (clusters, defaults) => {
    clusters[name] = ClusterTableSchema.parse(settings);
    defaults.cluster = name;
  });
}

/** Makes `name` (a configured cluster) the one commands use when `--cluster` names none. */
export function setClusterInUse(root: string, name: string): string {
  return rewriteConfig(root, (_clusters, defaults) => {
    defaults.cluster = name;
  });
}

/**
 * Forgets the cluster. When it was the one in use, the next in name order takes its place; the name of the one
 * now in use comes back (null: none is left).
 */
export function removeClusterConfig(root: string, name: string): string | null {
  let current: string | null = null;
  rewriteConfig(root, (clusters, defaults) => {
    delete clusters[name];
    if (defaults.cluster === name) delete defaults.cluster;
    const [next] = Object.keys(clusters).sort();
    if (defaults.cluster === undefined && next !== undefined) defaults.cluster = next;
    current = (defaults.cluster as string | undefined) ?? null;
  });
  return current;
}
