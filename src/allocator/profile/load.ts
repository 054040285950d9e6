import { readFileSync } from "node:fs";
import { parse, TomlError } from "smol-toml";
import { type Config, isProfilePath, settingError } from "../../config/index.ts";
import { deferred } from "../../deferred.ts";
import { RvError } from "../../errors.ts";
import { parseDuration } from "../../slurm/parse/time.ts";
import { z } from "../../zod.ts";
import { builtinProfileTexts } from "./builtin.ts";
import { ProfileGpuSchema, type SiteProfile, SiteProfileSchema } from "./schema.ts";

const hint = "see docs/allocator.md for the site profile format";

/** A duration written as Slurm writes one (`2:59:00`, `3-00:00:00`), read as whole seconds. */
const SlurmDurationSchema = z.pipe(
  z.string({ error: 'expected a quoted Slurm duration such as "2:59:00" or "3-00:00:00"' }),
  z.transform((text, ctx) => {
    const duration = parseDuration(text);
    if (duration.kind === "seconds" && duration.seconds > 0) return duration.seconds;
    ctx.issues.push({
      code: "custom",
      input: text,
      message: `${JSON.stringify(text)} is not a duration such as "2:59:00"`,
    });
    return z.NEVER;
  }),
);

/** A `[[gpu]]` table as written: the schema's record, with its walltime as a duration (strict, as the record is). */
const GpuTableSchema = deferred(() =>
  z.extend(z.omit(ProfileGpuSchema, { maxWalltimeSeconds: true }), { maxWalltime: z.optional(SlurmDurationSchema) }),
);

/** The TOML file: the schema's record with Slurm durations, and the GPU table as `[[gpu]]` tables (strict, as it is). */
const ProfileFileSchema = deferred(() =>
  z
    .extend(z.omit(SiteProfileSchema, { segmentSeconds: true, gpus: true }), {
      segment: z.optional(SlurmDurationSchema),
      gpu: z._default(z.array(GpuTableSchema), []),
    })
    .check(
      z.superRefine((file, ctx) => {
        const seen = new Set<string>();
        file.gpu.forEach(({ key }, i) => {
          if (seen.has(key))
            ctx.addIssue({ code: "custom", path: ["gpu", i, "key"], message: `${key} is defined twice` });
          seen.add(key);
        });
      }),
    ),
);
type ProfileFile = z.infer<typeof ProfileFileSchema>;

/** A site profile from TOML text; `where` (a file, or a built-in's name) heads every error. */
export function parseProfileToml(text: string, where: string): SiteProfile {
  const parsed = ProfileFileSchema.safeParse(parseToml(text, where));
  if (!parsed.success) throw invalidProfile(text, where, parsed.error);
  return toProfile(parsed.data);
}

/** The first problem, at its key and line (an unknown key is the path's last part, as in config.toml). */
function invalidProfile(text: string, where: string, error: z.core.$ZodError): RvError {
  const issue = error.issues[0];
  const unknownKey = issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [];
  const path = [...(issue?.path ?? []), ...unknownKey].map((part) => (typeof part === "number" ? part : String(part)));
  const line = lineOfPath(text, path);
  return new RvError("usage", `${where}${line ? ` (line ${line})` : ""}: ${path.join(".")}: ${issue?.message}`, {
    hint,
  });
}

/**
 * A built-in profile by name, or a TOML file by path (anything with a `/` or ending in `.toml`); `undefined`
 * means none: rv works from discovery alone.
 */
export function loadProfile(nameOrPath: string | undefined): SiteProfile | null {
  if (nameOrPath === undefined) return null;
  const builtin = Object.hasOwn(builtinProfileTexts, nameOrPath) ? builtinProfileTexts[nameOrPath] : undefined;
  if (builtin !== undefined) return parseProfileToml(builtin, `built-in profile ${nameOrPath}`);
  if (!isProfilePath(nameOrPath)) {
    throw new RvError("usage", `no built-in site profile is called ${JSON.stringify(nameOrPath)}`, {
      hint: `built-in profiles: ${Object.keys(builtinProfileTexts).join(", ")}; or give the path to a TOML file (docs/allocator.md)`,
    });
  }
  return parseProfileToml(readProfileFile(nameOrPath), nameOrPath);
}

/** The profile the cluster in use names; a profile that cannot be read is reported where it is set. */
export function loadConfiguredProfile(root: string, config: Config): SiteProfile | null {
  try {
    return loadProfile(config.cluster?.profile);
  } catch (error) {
    if (!(error instanceof RvError)) throw error;
    const where = ["clusters", config.cluster?.name ?? "", "profile"];
    throw settingError(root, where, error.message, error.hint ?? "see docs/allocator.md");
  }
}

function readProfileFile(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (cause) {
    throw new RvError("usage", `cannot read the site profile ${path}: ${(cause as Error).message}`, { hint, cause });
  }
}

function parseToml(text: string, where: string): unknown {
  try {
    return parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    const message = error.message.split("\n")[0]?.replace(/^Invalid TOML document: /, "");
    throw new RvError("usage", `${where} (line ${error.line}, column ${error.column}): ${message}`, { hint });
  }
}

function toProfile({ segment, gpu, ...rest }: ProfileFile): SiteProfile {
  const gpus = gpu.map(({ maxWalltime, ...table }) => ({ ...table, maxWalltimeSeconds: maxWalltime ?? null }));
  return SiteProfileSchema.parse({ ...rest, segmentSeconds: segment ?? null, gpus });
}

/**
 * The line of the key at `path` (`["segment"]`, `["balance", "argv"]`, `["gpu", 2, "vramGb"]`), or of its
 * table's header when the key is not written: zod reports paths, a person looks for lines.
 */
function lineOfPath(text: string, path: readonly (string | number)[]): number | null {
  const table = tableOf(path);
  const key = path[table.depth];
  const keyLine = typeof key === "string" ? new RegExp(`^\\s*"?${escapeRegExp(key)}"?\\s*=`) : null;
  const counts = new Map<string, number>();
  let current = { name: "", index: 0 };
  let header: number | null = null;
  for (const [i, line] of text.split("\n").entries()) {
    const opened = /^\s*\[(\[)?\s*([A-Za-z0-9_-]+)\s*\]/.exec(line);
    if (opened?.[2]) {
      const index = opened[1] ? (counts.get(opened[2]) ?? 0) : 0;
      counts.set(opened[2], index + 1);
      current = { name: opened[2], index };
      if (current.name === table.name && index === table.index) header = i + 1;
    } else if (current.name === table.name && current.index === table.index && keyLine?.test(line)) {
      return i + 1;
    }
  }
  return header;
}

/** The table a path lives in (top level, `[balance]`, or the index-th `[[gpu]]`) and where its key is in the path. */
function tableOf(path: readonly (string | number)[]): { name: string; index: number; depth: number } {
  if (path[0] === "gpu" && typeof path[1] === "number") return { name: "gpu", index: path[1], depth: 2 };
  if (path[0] === "gpu" || path[0] === "balance") return { name: path[0], index: 0, depth: 1 };
  return { name: "", index: 0, depth: 0 };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
