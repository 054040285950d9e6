import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, TomlError } from "smol-toml";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { optionalBuiltOnUse, z } from "../zod.ts";

export { durationMs, unitsMs } from "./duration.ts";
export { ATTEMPT_TAG_VAR, inheritedEnv } from "./env.ts";
export { LabelSchema, labelProblem, PLAIN_WORD_RULE, plainWordProblem, plainWordSchema } from "./names.ts";

const ms = z.int().check(z.positive());
const grace = z.int().check(z.gte(0));

/** A short label: messages name it, `--cluster NAME` picks it, and rv's ssh alias for the cluster is `rv-<name>`. */
export const ClusterNameSchema = z
  .string()
  .check(z.regex(/^[a-z0-9][a-z0-9_-]{0,31}$/, "lower-case letters, digits, - and _ (at most 32)"));

export const ClusterConfigSchema = deferred(() =>
  z.strictObject({
    name: ClusterNameSchema,
    /** The ssh host rv connects to: an alias in `$RV_HOME/ssh/config`, or `local` when rv runs on the login node. */
    host: z.string().check(z.minLength(1)),
    /** The user on the cluster (Slurm's view of "my jobs"). */
    user: z.string().check(z.minLength(1)),
    /** The Slurm account to charge; Slurm's default account for the user when absent. */
    account: z.optional(z.string().check(z.minLength(1))),
    /** rv's directory on the cluster's shared filesystem (leases, logs, the deployed rv). */
    root: z.string().check(z.startsWith("/", "must be an absolute path on the cluster")),
    /**
     * Where lease watchdogs run (docs/healing.md): a partition where a 1-CPU job starts in seconds; Slurm's
     * default partition when absent.
     */
    watchdogPartition: z.optional(
      z
        .string()
        .check(z.regex(/^[A-Za-z0-9][A-Za-z0-9._+-]*$/, "a partition name: letters, digits, '.', '_', '+' and '-'")),
    ),
    /** The site profile (docs/allocator.md): a built-in name such as `rivanna`, or the absolute path of a TOML file. */
    profile: z.optional(
      z
        .string()
        .check(z.minLength(1))
        .check(
          z.refine((ref) => !isProfilePath(ref) || ref.startsWith("/"), "must be a built-in name or an absolute path"),
        ),
    ),
  }),
);
export type ClusterConfig = z.infer<typeof ClusterConfigSchema>;

/** A `[clusters.NAME]` table: a cluster's settings, named by its key. */
export const ClusterTableSchema = deferred(() => z.omit(ClusterConfigSchema, { name: true }));

export const ConfigSchema = deferred(() =>
  z
    .strictObject({
      defaults: z._default(
        z.strictObject({
          /** The lease `rv submit` uses when none is named and none is running. */
          lease: z._default(z.string(), "local"),
          maxCrashes: z._default(z.int().check(z.gte(1)), 3),
          /** The cluster commands use when `--cluster` names none (`rv cluster use`). */
          cluster: z.optional(ClusterNameSchema),
        }),
        { lease: "local", maxCrashes: 3 },
      ),
      runner: z._default(
        z.strictObject({
          heartbeatMs: z._default(ms, 2000),
          staleAfterMs: z._default(ms, 30_000),
          drainGraceMs: z._default(grace, 60_000),
          killGraceMs: z._default(grace, 10_000),
          /** A segment is ending: how long tasks that asked for a checkpoint signal have to save and exit. */
          checkpointGraceMs: z._default(grace, 20_000),
        }),
        {
          heartbeatMs: 2000,
          staleAfterMs: 30_000,
          drainGraceMs: 60_000,
          killGraceMs: 10_000,
          checkpointGraceMs: 20_000,
        },
      ),
      /**
       * The Slurm clusters rv reaches over ssh, by name; written by `rv init`. Without one rv works here only.
       * Lazy: a config with no cluster (every local command) does not build the cluster's schemas.
       */
      clusters: z._default(
        z.record(
          ClusterNameSchema,
          z.lazy(() => ClusterTableSchema),
        ),
        {},
      ),
      /**
       * In a file: the one cluster an older rv wrote (read as `[clusters.NAME]`, rewritten so by the next change).
       * Once loaded: the cluster commands use (`defaults.cluster`, or the only one; `selectCluster` for `--cluster`).
       */
      cluster: optionalBuiltOnUse(ClusterConfigSchema),
    })
    .check(
      z.superRefine((config, context) => {
        if (config.cluster && Object.keys(config.clusters).length > 0) {
          context.addIssue({
            code: "custom",
            path: ["cluster"],
            message: "a file has [cluster] or [clusters.NAME], not both",
          });
        }
      }),
    ),
);
export type Config = z.infer<typeof ConfigSchema>;

const envOverrides: [keyof Config["runner"], string][] = [
  ["heartbeatMs", "RV_HEARTBEAT_MS"],
  ["staleAfterMs", "RV_STALE_AFTER_MS"],
  ["drainGraceMs", "RV_DRAIN_GRACE_MS"],
  ["killGraceMs", "RV_KILL_GRACE_MS"],
  ["checkpointGraceMs", "RV_CHECKPOINT_GRACE_MS"],
];

export function configPath(root: string): string {
  return join(root, "config.toml");
}

/**
 * The line of `key` in `[section]` (or of the section header when the key is missing), so that a bad value
 * is reported where the user can find it. Zod reports paths, not lines.
 */
function lineOfKey(text: string, path: readonly string[]): number | null {
  const lines = text.split("\n");
  // The deepest table the path names (`[clusters.dev]` for clusters.dev.root), then the key inside it.
  for (let depth = path.length; depth >= 1; depth--) {
    const header = lines.findIndex((l) => l.trim() === `[${path.slice(0, depth).join(".")}]`);
    if (header < 0) continue;
    const key = path[depth];
    if (key === undefined) return header + 1;
    const nextHeader = lines.findIndex((l, i) => i > header && /^\s*\[/.test(l));
    const end = nextHeader < 0 ? lines.length : nextHeader;
    const at = lines.findIndex(
      (l, i) => i > header && i < end && new RegExp(`^\\s*"?${escapeRegExp(key)}"?\\s*=`).test(l),
    );
    return (at < 0 ? header : at) + 1;
  }
  return null;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** `$RV_HOME/config.toml` (optional), then `RV_*` environment variables on top. */
export function loadConfig(root: string, env: NodeJS.ProcessEnv): Config {
  const file = configPath(root);
  let text = "";
  let raw: unknown = {};
  try {
    text = readFileSync(file, "utf8");
    raw = parse(text);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") {
      const where = error instanceof TomlError ? ` (line ${error.line}, column ${error.column})` : "";
      throw new RvError("usage", `${file}${where}: ${(error as Error).message.split("\n")[0]}`, {
        hint: "fix the file or move it away; rv works without it",
      });
    }
  }
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const unknownKey = issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [];
    const path = [...(issue?.path ?? []), ...unknownKey].map(String);
    const line = lineOfKey(text, path);
    throw new RvError("usage", `${file}${line ? ` (line ${line})` : ""}: ${path.join(".")}: ${issue?.message}`, {
      hint: "see docs/configuration.md for the keys rv understands",
    });
  }
  const config = withDefaultCluster(parsed.data, text, file);
  for (const [key, name] of envOverrides) {
    const value = env[name];
    if (value === undefined || value === "") continue;
    const n = Number(value);
    const min = key.endsWith("GraceMs") ? 0 : 1;
    if (!Number.isInteger(n) || n < min) {
      throw new RvError("usage", `${name}=${value} is not a whole number of milliseconds >= ${min}`, {
        hint: `unset ${name}, or set it to a number such as ${name}=${config.runner[key]}`,
      });
    }
    config.runner[key] = n;
  }
  return config;
}

/** Every configured cluster, by name. */
export function clusterList(config: Config): ClusterConfig[] {
  return Object.entries(config.clusters)
    .map(([name, table]) => ({ name, ...table }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** An older file's `[cluster]` joins `clusters`; `cluster` becomes the one commands use when none is named. */
function withDefaultCluster(config: Config, text: string, file: string): Config {
  const { cluster: legacy, ...rest } = config;
  const clusters = legacy ? { [legacy.name]: withoutName(legacy) } : config.clusters;
  const defaults = legacy ? { ...config.defaults, cluster: config.defaults.cluster ?? legacy.name } : config.defaults;
  const named = defaults.cluster;
  if (named !== undefined && !clusters[named]) {
    const line = lineOfKey(text, ["defaults", "cluster"]);
    throw new RvError("usage", `${file}${line ? ` (line ${line})` : ""}: defaults.cluster: no cluster ${named}`, {
      hint: `choose one of: ${Object.keys(clusters).join(", ") || "(none: rv init)"}, with rv cluster use NAME`,
    });
  }
  const only = Object.keys(clusters).length === 1 ? Object.keys(clusters)[0] : undefined;
  const current = named ?? only;
  const table = current === undefined ? undefined : clusters[current];
  return { ...rest, clusters, defaults, ...(current && table && { cluster: { name: current, ...table } }) };
}

function withoutName({ name: _name, ...table }: ClusterConfig): z.infer<typeof ClusterTableSchema> {
  return table;
}

/**
 * The cluster a command uses: `wanted` (`--cluster NAME`, or RV_CLUSTER) over the default. An unknown name is
 * refused with the names there are.
 */
export function selectCluster(config: Config, wanted: string | undefined): Config {
  if (wanted === undefined || wanted === "" || wanted === config.cluster?.name) return config;
  const table = config.clusters[wanted];
  if (!table) {
    const names = Object.keys(config.clusters);
    throw new RvError("usage", `no cluster ${wanted}${names.length ? ` (there are: ${names.join(", ")})` : ""}`, {
      hint: names.length
        ? "rv cluster ls lists them"
        : "set one up with: rv init --name NAME --host LOGIN_NODE --user USER",
    });
  }
  return { ...config, cluster: { name: wanted, ...table } };
}

/** How a site profile reference is told apart from a built-in name: a `/` or a `.toml` ending. */
export function isProfilePath(nameOrPath: string): boolean {
  return nameOrPath.includes("/") || nameOrPath.endsWith(".toml");
}

/** `config.toml (line 6): cluster.profile: MESSAGE`: a problem with a setting, told where the setting is. */
export function settingError(root: string, path: readonly string[], message: string, hint?: string): RvError {
  const file = configPath(root);
  let text = "";
  try {
    text = readFileSync(file, "utf8");
  } catch {
    // a setting from nowhere: the message alone
  }
  const line = lineOfKey(text, path);
  return new RvError("usage", `${file}${line ? ` (line ${line})` : ""}: ${path.join(".")}: ${message}`, {
    hint: hint ?? "see docs/configuration.md",
  });
}
