import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { parse, TomlError } from "smol-toml";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { z } from "../zod.ts";
import { located } from "./expand.ts";
import { LabelSchema, plainWordSchema } from "./names.ts";

/**
 * The project file, `rv.toml`: project defaults for every `rv submit`, `rv run` and `rv sweep` started in the
 * project, and named jobs (docs/experiments.md, "A project file"). Found upwards from the working directory like
 * git's `.git`, and read with the `.env` file beside it. Keys are camelCase, as in config.toml and `--from` lines.
 */
export const PROJECT_FILE = "rv.toml";
export const DOTENV_FILE = ".env";

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** ~100 zod instances, built on first use (deferred): a submit outside any project never reads an rv.toml. */
export const ProjectFileSchema = deferred(() => {
  /** TOML numbers and booleans are welcome as values (`OMP_NUM_THREADS = 4`): the environment holds text. */
  const EnvTableSchema = z.record(
    z.string().check(z.regex(VARIABLE_NAME, "not a variable name")),
    z.pipe(z.union([z.string(), z.number(), z.boolean()]), z.transform(String)),
  );

  /** What a task asks for: `[defaults]` and every job take these (strings may hold `${VAR}`). */
  const settings = {
    lease: z.optional(z.string().check(z.minLength(1))),
    gpus: z.optional(z.int().check(z.gte(0))),
    cpus: z.optional(z.int().check(z.gte(1))),
    env: z.optional(EnvTableSchema),
    cwd: z.optional(z.string().check(z.minLength(1))),
    tags: z.optional(z.array(LabelSchema)),
    note: z.optional(z.string()),
    strictOrder: z.optional(z.boolean()),
    /** `--sync`: push the project to its workspace on the cluster first, and run there. */
    sync: z.optional(z.boolean()),
    /** `true` (SIGUSR1) or a signal name; `false` undoes the project's `true` for one job. */
    checkpoint: z.optional(z.union([z.boolean(), z.string().check(z.minLength(1))])),
    timeRequest: z.optional(z.string().check(z.minLength(1))),
    retry: z.optional(z.int().check(z.gte(0))),
    retryDelay: z.optional(z.string().check(z.minLength(1))),
    retryOn: z.optional(z.array(z.union([z.int(), z.string().check(z.minLength(1))]))),
    timeout: z.optional(z.string().check(z.minLength(1))),
    maxRunning: z.optional(z.int().check(z.gte(1))),
  };

  const JobSchema = z
    .strictObject({
      ...settings,
      /** Shown by `rv config show`. */
      description: z.optional(z.string()),
      /** Words of a command run without a shell: a string split as a shell would, or an array of words. */
      command: z.optional(z.union([z.string().check(z.minLength(1)), z.array(z.string()).check(z.minLength(1))])),
      /** A bash script; each `${VAR}` is put in as one quoted word. */
      shell: z.optional(z.string().check(z.minLength(1))),
      /** The task's name (default: the job's name). */
      name: z.optional(LabelSchema),
      /** The tasks this one waits for (`--after`): ids, names, tags, wildcards such as `prep-*`. */
      after: z.optional(z.array(z.string().check(z.minLength(1)))),
    })
    .check(
      z.superRefine((job, ctx) => {
        if ((job.command === undefined) === (job.shell === undefined)) {
          ctx.addIssue({ code: "custom", path: ["command"], message: "give exactly one of command or shell" });
        }
      }),
    );

  return z.strictObject({
    defaults: z.optional(z.strictObject(settings)),
    jobs: z.optional(z.record(plainWordSchema("a job's name"), JobSchema)),
  });
});
export type ProjectFile = z.infer<typeof ProjectFileSchema>;
export type Job = NonNullable<ProjectFile["jobs"]>[string];
export type Settings = NonNullable<ProjectFile["defaults"]>;

/** One line of `.env`: its value, and whether `${VAR}` in it is expanded (not in a '...' value). */
export interface DotenvEntry {
  value: string;
  template: boolean;
  line: number;
}

export interface Dotenv {
  file: string;
  vars: Record<string, DotenvEntry>;
}

export interface Project {
  file: string;
  /** The directory of rv.toml: relative `cwd`s are taken from it, and a job runs in it by default. */
  dir: string;
  text: string;
  data: ProjectFile;
  dotenv: Dotenv | null;
}

/**
 * rv.toml in `cwd` or the nearest directory above it. The search stops after `home` when `cwd` is inside it (a
 * project file above your home directory is not yours), else at the filesystem root.
 */
export function findProjectFile(
  cwd: string,
  home: string | undefined,
  exists: (file: string) => boolean = existsSync,
): string | undefined {
  const stop = home ? resolve(home) : undefined;
  let dir = resolve(cwd);
  for (;;) {
    const file = join(dir, PROJECT_FILE);
    if (exists(file)) return file;
    const parent = dirname(dir);
    if (dir === stop || parent === dir) return undefined;
    dir = parent;
  }
}

/** The project around `cwd` with its `.env`, or null when there is none. */
export function loadProject(cwd: string, env: NodeJS.ProcessEnv): Project | null {
  const file = findProjectFile(cwd, env.HOME);
  if (file === undefined) return null;
  const text = readText(mustBeYours(file));
  const dir = dirname(file);
  const dotenvFile = join(dir, DOTENV_FILE);
  const dotenv = existsSync(dotenvFile) ? parseDotenv(dotenvFile, readText(mustBeYours(dotenvFile))) : null;
  return { file, dir, text, data: parseProjectFile(file, text), dotenv };
}

/**
 * A project file sets the environment and directory of every task submitted below it: one that another user owns,
 * or that others may write (a /tmp/rv.toml, a shared scratch directory), could run code in your tasks. Like git's
 * safe.directory, rv refuses it rather than read it.
 */
function mustBeYours(file: string): string {
  const { uid, mode } = statSync(file);
  const me = process.getuid?.();
  if ((me !== undefined && uid !== me) || (mode & 0o022) !== 0) {
    const why = me !== undefined && uid !== me ? "belongs to another user" : "may be written by others";
    throw new RvError("usage", `${file} ${why}: rv does not read it`, {
      hint: `make it yours (chown; chmod go-w ${file}), or work in a directory of your own`,
    });
  }
  return file;
}

function readText(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (error) {
    throw new RvError("io", `${file}: ${(error as Error).message}`);
  }
}

/** The file checked against its schema; an error names the file, the line and the key. */
export function parseProjectFile(file: string, text: string): ProjectFile {
  let raw: unknown;
  try {
    raw = parse(text);
  } catch (error) {
    if (!(error instanceof TomlError)) throw error;
    throw new RvError(
      "usage",
      `${file} (line ${error.line}, column ${error.column}): ${error.message.split("\n")[0]}`,
      {
        hint: "fix the TOML syntax (https://toml.io)",
      },
    );
  }
  const parsed = ProjectFileSchema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const unknownKey = issue?.code === "unrecognized_keys" ? issue.keys.slice(0, 1) : [];
  const path = [...(issue?.path ?? []), ...unknownKey].map(String);
  const message =
    unknownKey.length > 0
      ? "not a key rv.toml knows"
      : issue?.code === "invalid_key"
        ? (issue.issues[0]?.message ?? issue.message)
        : (issue?.message ?? "invalid");
  throw located({ file, line: lineOfKey(text, path), key: path.join(".") || "(top)" }, message);
}

/**
 * The line (from 1) where the key at `path` is written: under the most specific `[table]` header that is a
 * prefix of it, as a plain, dotted or quoted key. Falls back to the header itself (an unknown key's table).
 * Zod reports paths, not lines; smol-toml keeps no positions for values.
 */
export function lineOfKey(text: string, path: readonly string[]): number | null {
  if (path.length === 0) return null;
  const lines = text.split("\n");
  const headers = lines.flatMap((line, i) => {
    const keys = headerKeys(line);
    return keys ? [{ keys, at: i }] : [];
  });
  let fallback: number | null = null;
  for (let depth = path.length; depth >= 0; depth--) {
    const table = path.slice(0, depth);
    const header = depth === 0 ? { at: -1 } : headers.find((h) => sameKeys(h.keys, table));
    if (!header) continue;
    if (depth === path.length) return header.at + 1;
    const next = headers.find((h) => h.at > header.at);
    const end = next ? next.at : lines.length;
    for (let i = header.at + 1; i < end; i++) {
      const keys = assignedKeys(lines[i] ?? "");
      if (keys && keys[0] === path[depth]) return i + 1;
    }
    if (depth > 0) fallback ??= header.at + 1;
  }
  return fallback;
}

function sameKeys(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((k, i) => k === b[i]);
}

/** `[a."b.c"]` -> `["a", "b.c"]`; null for a line that is not a table header. */
function headerKeys(line: string): string[] | null {
  const match = /^\s*\[\s*([^[\]]+?)\s*\]\s*(#.*)?$/.exec(line);
  return match?.[1] ? dottedKeys(match[1]) : null;
}

/** The dotted key before `=` on a line such as `env.X = 1` or `"a b" = 2`; null when it assigns nothing. */
function assignedKeys(line: string): string[] | null {
  const match = /^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*=/.exec(
    line,
  );
  return match?.[1] ? dottedKeys(match[1]) : null;
}

function dottedKeys(text: string): string[] {
  return [...text.matchAll(/"([^"]*)"|'([^']*)'|([A-Za-z0-9_-]+)/g)].map((m) => m[1] ?? m[2] ?? m[3] ?? "");
}

/**
 * `.env`: `KEY=VALUE` lines (`export ` allowed), `#` comments and blank lines. A value may be quoted: "..." (with
 * \n, \" and \\) or '...' (literal: no `${VAR}` either); an unquoted one ends before ` #`.
 */
export function parseDotenv(file: string, text: string): Dotenv {
  const vars: Record<string, DotenvEntry> = {};
  text.split("\n").forEach((raw, i) => {
    const line = raw.replace(/\r$/, "").trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*)$/.exec(line);
    const bad = (why: string) =>
      located({ file, line: i + 1, key: match?.[1] ?? line.slice(0, 20) }, why, "each line is NAME=VALUE");
    if (!match?.[1]) throw bad("expected NAME=VALUE");
    const value = match[2] ?? "";
    const quote = value[0];
    if (quote === '"' || quote === "'") {
      const close = value.lastIndexOf(quote);
      if (
        close === 0 ||
        value
          .slice(close + 1)
          .trim()
          .replace(/^#.*/, "") !== ""
      )
        throw bad(`an unclosed ${quote}`);
      const inner = value.slice(1, close);
      vars[match[1]] =
        quote === "'"
          ? { value: inner, template: false, line: i + 1 }
          : { value: unescapeDouble(inner), template: true, line: i + 1 };
    } else {
      vars[match[1]] = { value: value.replace(/\s+#.*$/, ""), template: true, line: i + 1 };
    }
  });
  return { file, vars };
}

function unescapeDouble(text: string): string {
  return text.replace(/\\([n"\\])/g, (_, c: string) => (c === "n" ? "\n" : c));
}
