import { statSync } from "node:fs";
import type { Origin, Sourced } from "../../config/expand.ts";
import { located } from "../../config/expand.ts";
import { loadProject, type Project } from "../../config/project.ts";
import { jobWords, type Resolved, resolveProject } from "../../config/resolve.ts";
import { RvError } from "../../errors.ts";
import type { Place } from "../../ops/places.ts";
import type { TaskSpec } from "../../ops/taskspec.ts";
import { shQuote } from "../../remote/quote.ts";
import type { Context } from "../context.ts";
import { parseEnvFlags } from "../flags.ts";
import { firstFew } from "../output.ts";

/**
 * rv.toml meets the command line: a job, or the project's defaults, become the same flags `rv submit`, `rv run`
 * and `rv sweep` take, so a job is submitted exactly as if its flags had been typed. Flags typed before the job's
 * name win over the job, the job over `[defaults]` (docs/experiments.md, "A project file").
 */

/** The task flags as commander gives them (strings, as typed): what a job and the project's defaults fill in. */
export interface TaskFlags {
  lease?: string;
  gpus?: string;
  cpus?: string;
  name?: string;
  env: string[];
  cwd?: string;
  shell?: string;
  from?: string;
  tag: string[];
  /** `--after` as given: references, comma-separated, repeatable. */
  after?: string[];
  note?: string;
  strictOrder?: boolean;
  /** `--checkpoint` alone is `true`; `--checkpoint=TERM` names the signal. */
  checkpoint?: true | string;
  timeRequest?: string;
  maxRunning?: string;
  retry?: string;
  retryDelay?: string;
  retryOn?: string;
  timeout?: string;
  wait?: boolean;
  follow?: boolean;
  /** `--sync`: push the project to its workspace first, and run there. */
  sync?: boolean;
  /** `--outputs GLOB`: what the task writes, for `rv pull`. */
  outputs?: string[];
  /** `rv run --gpu N [--type T] [--partition P] [--time D]`: a lease of its own, on the cluster. */
  gpu?: string;
  type?: string;
  partition?: string;
  time?: string;
  /** The command came after `--`: its first word is never a job's name. */
  afterDashes?: boolean;
}

/** The settings a job can give, by the flag that takes each, in the order `rv config show` shows them. */
export const SETTINGS = [
  "lease",
  "name",
  "cwd",
  "gpus",
  "cpus",
  "note",
  "strictOrder",
  "sync",
  "checkpoint",
  "timeRequest",
  "retry",
  "retryDelay",
  "retryOn",
  "timeout",
  "maxRunning",
  "after",
] as const;
export type Setting = (typeof SETTINGS)[number];

export interface Submission<F extends TaskFlags> {
  project: Project | null;
  argv: string[];
  flags: F;
  job: string | null;
  resolved: Resolved | null;
  /** Where each setting came from; `env` by variable. Settings nobody gave are missing (rv's defaults). */
  origins: Partial<Record<Setting, Sourced<unknown>>> & { env: Record<string, Origin>; tags: Origin[] };
  /** A job with no `cwd` runs in its project's directory: on this machine only (a cluster has its own paths). */
  projectDir: string | null;
  /** rv's own valueless flags among the job's words (`--follow`). */
  wordFlags: Set<string>;
}

export interface SubmissionInput<F extends TaskFlags> {
  project: Project | null;
  argv: string[];
  flags: F;
  env: NodeJS.ProcessEnv;
  /** rv's own flags without a value that a job's words may carry, e.g. `--follow`. */
  verbFlags: readonly string[];
  /** The command's own check of its flags (throws a usage error naming the flag). */
  check: (flags: TaskFlags) => void;
}

/** The job's name when the command's first word is one (and no `--` came before it). */
export function jobOf(
  project: Project | null,
  argv: readonly string[],
  afterDashes: boolean | undefined,
): string | null {
  const [first] = argv;
  if (!project || afterDashes || first === undefined) return null;
  return Object.hasOwn(project.data.jobs ?? {}, first) ? first : null;
}

/** Pure: the flags a submit runs with, given the project (or none), what was typed, and the environment. */
export function mergeSubmission<F extends TaskFlags>(input: SubmissionInput<F>): Submission<F> {
  const { project, flags, env } = input;
  const job = jobOf(project, input.argv, flags.afterDashes);
  if (!project) {
    const origins = flagOrigins(flags);
    return { project, argv: input.argv, flags, job, resolved: null, origins, projectDir: null, wordFlags: new Set() };
  }
  if (job && (flags.shell !== undefined || flags.from !== undefined)) {
    throw new RvError("usage", `job ${job} gives the command: --shell and --from do not go with it`, {
      hint: `rv submit ${job}, or your own command after --: rv submit -- ${input.argv.join(" ")}`,
    });
  }
  const words = job ? jobWords(job, input.argv.slice(1), input.verbFlags) : { variables: {}, flags: new Set<string>() };
  const resolved = resolveProject({
    project,
    job,
    variables: words.variables,
    flagEnv: parseEnvFlags(flags.env, env),
    env,
    quote: shQuote,
  });
  const merged = overlay(resolved, flags, env);
  checkWhereWritten(merged, input.check);
  const command = resolved.command?.value;
  const withCommand: F = command && "shell" in command ? { ...merged.flags, shell: command.shell } : merged.flags;
  return {
    project,
    argv: command && "argv" in command ? command.argv : command ? [] : input.argv,
    flags: withCommand,
    job,
    resolved,
    origins: merged.origins,
    projectDir: job && resolved.settings.cwd === undefined && flags.cwd === undefined ? project.dir : null,
    wordFlags: words.flags,
  };
}

function flagOrigins(flags: TaskFlags): Submission<TaskFlags>["origins"] {
  const origins: Submission<TaskFlags>["origins"] = { env: {}, tags: flags.tag.map(() => "flag") };
  for (const key of SETTINGS) if (given(flags[key])) origins[key] = { value: flags[key], origin: "flag" };
  for (const entry of flags.env) origins.env[entry.split("=")[0] ?? entry] = "flag";
  return origins;
}

/** A repeatable flag (`--after`) is an empty list when not typed. */
function given(value: unknown): boolean {
  return value !== undefined && !(Array.isArray(value) && value.length === 0);
}

/** A job's value as its flag would be typed: `gpus = 2` is `--gpus 2`, `retryOn = [1, "KILL"]` is `1,KILL`. */
function asFlag(key: Setting, value: unknown): TaskFlags[Setting] {
  if (key === "checkpoint") return value === false ? undefined : (value as true | string);
  if (key === "strictOrder" || key === "sync") return value as boolean;
  if (key === "after") return value as string[];
  if (key === "retryOn") return (value as (number | string)[]).join(",");
  return String(value);
}

/** Typed flags win; then the job, then the project. Tags and env add up (a flag's value for a key wins). */
function overlay<F extends TaskFlags>(
  resolved: Resolved,
  flags: F,
  env: NodeJS.ProcessEnv,
): { flags: F; origins: Submission<F>["origins"] } {
  const origins = flagOrigins(flags);
  const merged: F = { ...flags };
  const set = merged as Record<Setting, unknown>;
  for (const key of SETTINGS) {
    const found = resolved.settings[key] as Sourced<unknown> | undefined;
    if (given(flags[key]) || found === undefined) continue;
    // Inside a task, its own lease is the default (tasks that make tasks); only --lease sends it elsewhere.
    if (key === "lease" && env.RV_TASK_ID && env.RV_LEASE_ID) continue;
    set[key] = asFlag(key, found.value);
    if (set[key] !== undefined) origins[key] = found;
  }
  merged.env = Object.entries(resolved.env).map(([key, found]) => `${key}=${found.value}`);
  origins.env = Object.fromEntries(Object.entries(resolved.env).map(([key, found]) => [key, found.origin]));
  const tags = [
    ...resolved.tags.map((t) => [t.value, t.origin] as const),
    ...flags.tag.map((t) => [t, "flag"] as const),
  ].filter(([tag], i, all) => all.findIndex(([t]) => t === tag) === i);
  merged.tag = tags.map(([t]) => t);
  origins.tags = tags.map(([, origin]) => origin);
  return { flags: merged, origins };
}

/** A bad value from rv.toml is told where it is written, not as the flag it stands for. */
function checkWhereWritten<F extends TaskFlags>(
  merged: { flags: F; origins: Submission<F>["origins"] },
  check: (flags: TaskFlags) => void,
): void {
  for (const key of SETTINGS) {
    const found = merged.origins[key];
    if (!found?.where) continue;
    try {
      // Each value alone, with what its check leans on: the tags (a cap's group), a retry count (its policy).
      const leansOn = key === "retryDelay" || key === "retryOn" ? { retry: "1" } : {};
      check({ env: [], tag: merged.flags.tag, ...leansOn, [key]: merged.flags[key] });
    } catch (error) {
      if (!(error instanceof RvError)) throw error;
      throw located(found.where, error.message.replace(/^--[a-z-]+(?: "[^"]*")?: /, ""), error.hint);
    }
  }
}

/**
 * A submit without --sync. On this machine a job's tasks without a `cwd` of their own run in the project's
 * directory. On a cluster they run in the cluster home, which holds none of this directory's files: a command that
 * names one (`python train.py`) would fail there, so the submitter is warned, and told of --sync.
 */
export function withoutSync(ctx: Context, specs: TaskSpec[], projectDir: string | null, place: Place): TaskSpec[] {
  if (place.kind === "cluster") {
    const files = filesLeftBehind(specs, (word) => statSync(word, { throwIfNoEntry: false })?.isFile() === true);
    if (files.length > 0) ctx.io.err(`rv: warning: ${leftBehindNote(files)}\n`);
  }
  if (projectDir === null || place.kind !== "local") return specs;
  return specs.map((spec) => (spec.cwd === undefined ? { ...spec, cwd: projectDir } : spec));
}

/**
 * The words of the tasks' commands that name a file of this directory (by `isFile`, relative to it), for tasks that
 * run where no --cwd points: `train.py`, `./run.sh`, `configs/a.yaml`. Not flags, absolute paths or `k=v` words, nor
 * a shell string's words (its quoting is the shell's). Each once, in order.
 */
export function filesLeftBehind(
  specs: readonly Pick<TaskSpec, "argv" | "cwd">[],
  isFile: (word: string) => boolean,
): string[] {
  const words = new Set<string>();
  for (const spec of specs) {
    if (spec.cwd !== undefined) continue;
    for (const word of spec.argv ?? []) {
      if (!word.startsWith("-") && !word.startsWith("/") && !word.includes("=")) words.add(word);
    }
  }
  return [...words].filter(isFile);
}

function leftBehindNote(files: string[]): string {
  const are = files.length === 1 ? "is a file" : "are files";
  return (
    `${firstFew(files)} ${are} here, but the task runs in your home on the cluster, where this directory is not: ` +
    "add --sync to push the project and run it there (sync = true in rv.toml), or --cwd DIR on the cluster"
  );
}

/**
 * The project around the working directory, applied to a submit: its job or its defaults. rv's own flags among a
 * job's words are set (`--dry-run` is `dryRun`), and `--json` turns the context's JSON on.
 */
export function applyProject<F extends TaskFlags>(
  ctx: Context,
  argv: string[],
  flags: F,
  how: Pick<SubmissionInput<F>, "verbFlags" | "check">,
): { ctx: Context; submission: Submission<F> } {
  const project = loadProject(process.cwd(), ctx.env);
  const submission = mergeSubmission({ project, argv, flags, env: ctx.env, ...how });
  const set = submission.flags as unknown as Record<string, boolean>;
  for (const flag of submission.wordFlags) {
    if (flag !== "--json") set[flag.slice(2).replace(/-([a-z])/g, (_, c: string) => c.toUpperCase())] = true;
  }
  const json = submission.wordFlags.has("--json") && !ctx.json;
  return { ctx: json ? { ...ctx, json: true } : ctx, submission };
}
