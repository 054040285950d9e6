import { isAbsolute, join } from "node:path";
import { RvError } from "../errors.ts";
import {
  fill,
  located,
  type Origin,
  parseTemplate,
  referencedNames,
  refuseInDoubleQuotes,
  type Sourced,
  splitWords,
  type Where,
} from "./expand.ts";
import { type Job, lineOfKey, type Project, type Settings } from "./project.ts";

/**
 * A job of rv.toml (or the project's defaults alone) made concrete: every `${VAR}` expanded, each value with the
 * layer it came from. Pure. Variables are looked up in this order, the first that has one winning:
 *
 *   flag     the job's words (`--dataset orc` is DATASET) and `--env K=V`
 *   job      the job's `env` table
 *   project  `[defaults.env]`
 *   .env     the .env file beside rv.toml
 *   env      rv's own environment
 *
 * Values written in rv.toml and .env are templates themselves; one that names its own variable
 * (`PATH = "/opt/bin:${PATH}"`) reads it from the layers below. Flags and the environment are taken as they are.
 */

export type Command = { argv: string[] } | { shell: string };

export interface ResolvedSettings {
  lease?: Sourced<string>;
  gpus?: Sourced<number>;
  cpus?: Sourced<number>;
  name?: Sourced<string>;
  cwd?: Sourced<string>;
  note?: Sourced<string>;
  strictOrder?: Sourced<boolean>;
  sync?: Sourced<boolean>;
  checkpoint?: Sourced<boolean | string>;
  timeRequest?: Sourced<string>;
  retry?: Sourced<number>;
  retryDelay?: Sourced<string>;
  retryOn?: Sourced<(number | string)[]>;
  timeout?: Sourced<string>;
  maxRunning?: Sourced<number>;
  after?: Sourced<string[]>;
}

export interface Resolved {
  job: string | null;
  command: Sourced<Command> | null;
  settings: ResolvedSettings;
  /** The project's tags, then the job's. */
  tags: Sourced<string>[];
  /** The task's own variables: the keys of `[defaults.env]`, the job's `env` and `--env`, each valued as above. */
  env: Record<string, Sourced<string>>;
  /** Every variable a value was read from, and where it was found. */
  variables: Record<string, Sourced<string>>;
}

export interface ResolveInput {
  project: Project;
  job: string | null;
  /** From the job's words. */
  variables: Record<string, string>;
  /** From `--env`. */
  flagEnv: Record<string, string>;
  env: NodeJS.ProcessEnv;
  /** How a value is put into a shell job's script (one quoted word). */
  quote: (value: string) => string;
}

interface Entry {
  raw: string;
  template: boolean;
  where?: Where;
}

interface Layer {
  origin: Origin;
  vars: Map<string, Entry>;
}

export function resolveProject(input: ResolveInput): Resolved {
  const { project, job: jobName } = input;
  const job = jobName === null ? undefined : project.data.jobs?.[jobName];
  if (jobName !== null && job === undefined) throw unknownJob(project, jobName);
  const defaults = project.data.defaults ?? {};
  const whereOf = (path: string[]): Where => ({
    file: project.file,
    line: lineOfKey(project.text, path),
    key: path.join("."),
  });
  if (jobName) refuseUnusedWords(jobName, input.variables, namesRead(project, job));
  const scope = makeScope(layersOf(input, job, whereOf), unsetHint(input));
  // The command first: a variable it lacks is told at the command's line.
  const command =
    job && jobName
      ? resolveCommand(
          job,
          scope,
          input.quote,
          whereOf(["jobs", jobName, job.shell === undefined ? "command" : "shell"]),
        )
      : null;
  const settings = resolveSettings({ job, jobName, defaults, project, whereOf, scope });
  const tags = [
    ...(defaults.tags ?? []).map((t, i) => expanded(scope, t, "project", whereOf(["defaults", "tags", String(i)]))),
    ...(job?.tags ?? []).map((t, i) => expanded(scope, t, "job", whereOf(["jobs", jobName ?? "", "tags", String(i)]))),
  ].filter((tag, i, all) => all.findIndex((t) => t.value === tag.value) === i);
  const envKeys = new Set([
    ...Object.keys(defaults.env ?? {}),
    ...Object.keys(job?.env ?? {}),
    ...Object.keys(input.flagEnv),
  ]);
  const env = Object.fromEntries([...envKeys].map((key) => [key, scope.value(key) as Sourced<string>]));
  return { job: jobName, command, settings, tags, env, variables: Object.fromEntries(scope.used) };
}

function unknownJob(project: Project, name: string): RvError {
  const jobs = Object.keys(project.data.jobs ?? {});
  return new RvError("usage", `${project.file}: no job ${JSON.stringify(name)}`, {
    hint: jobs.length > 0 ? `its jobs: ${jobs.join(", ")}` : 'add one: [jobs.NAME] with command = "..."',
  });
}

function layersOf(input: ResolveInput, job: Job | undefined, whereOf: (path: string[]) => Where): Layer[] {
  const table = (values: Record<string, string> | undefined, path: string[]) =>
    new Map(
      Object.entries(values ?? {}).map(([k, v]) => [k, { raw: v, template: true, where: whereOf([...path, k]) }]),
    );
  const literal = (values: Record<string, string | undefined>) =>
    new Map(
      Object.entries(values).flatMap(([k, v]) => (v === undefined ? [] : [[k, { raw: v, template: false }] as const])),
    );
  const dotenv = input.project.dotenv;
  return [
    { origin: "flag", vars: literal({ ...input.flagEnv, ...input.variables }) },
    { origin: "job", vars: table(job?.env, ["jobs", input.job ?? "", "env"]) },
    { origin: "project", vars: table(input.project.data.defaults?.env, ["defaults", "env"]) },
    {
      origin: ".env",
      vars: new Map(
        Object.entries(dotenv?.vars ?? {}).map(([k, e]) => [
          k,
          { raw: e.value, template: e.template, where: { file: dotenv?.file ?? "", line: e.line, key: k } },
        ]),
      ),
    },
    { origin: "env", vars: literal(input.env) },
  ];
}

/** `--data-dir` is DATA_DIR: what to type for a variable, in hints. */
export function flagOfVariable(name: string): string {
  return `--${name.toLowerCase().replaceAll("_", "-")}`;
}

function unsetHint(input: ResolveInput): (name: string) => string {
  const where = input.project.dotenv ? input.project.dotenv.file : "a .env file beside rv.toml";
  return (name) =>
    (input.job ? `give it after the job's name (rv submit ${input.job} ${flagOfVariable(name)} VALUE), or ` : "") +
    `set ${name} in ${where} or your environment, or write \${${name}:-DEFAULT}`;
}

interface Scope {
  /** `text` with its variables filled in (each through `quote`, for a shell job). */
  expand(text: string, where: Where | undefined, quote?: (value: string) => string): string;
  /** A variable's value and where it was found; undefined when no layer has it. */
  value(name: string): Sourced<string> | undefined;
  used: Map<string, Sourced<string>>;
}

function makeScope(layers: Layer[], hint: (name: string) => string): Scope {
  const used = new Map<string, Sourced<string>>();
  const resolving: string[] = [];
  const memo = new Map<string, Sourced<string>>();

  const expandWith = (
    text: string,
    where: Where | undefined,
    lookup: (name: string) => string | undefined,
    quote?: (value: string) => string,
  ) => {
    return fill(
      parseTemplate(text, where),
      lookup,
      (name) => located(where, `\${${name}} is not set`, hint(name)),
      quote,
    );
  };

  /** The variable as the layers from `from` down define it. */
  const valueFrom = (name: string, from: number): Sourced<string> | undefined => {
    for (let i = from; i < layers.length; i++) {
      const layer = layers[i] as Layer;
      const entry = layer.vars.get(name);
      if (!entry) continue;
      const source = { origin: layer.origin, ...(entry.where && { where: entry.where }) };
      if (!entry.template) return { value: entry.raw, ...source };
      const key = `${name}@${i}`;
      const known = memo.get(key);
      if (known) return known;
      if (resolving.includes(key)) {
        const cycle = [...resolving.slice(resolving.indexOf(key)), key].map((k) => k.split("@")[0]).join(" -> ");
        throw located(entry.where, `the variables refer to each other in a circle: ${cycle}`);
      }
      resolving.push(key);
      try {
        const value = expandWith(entry.raw, entry.where, (ref) =>
          ref === name ? valueFrom(name, i + 1)?.value : lookup(ref),
        );
        memo.set(key, { value, ...source });
        return memo.get(key);
      } finally {
        resolving.pop();
      }
    }
    return undefined;
  };

  const lookup = (name: string) => {
    const found = valueFrom(name, 0);
    if (found) used.set(name, found);
    return found?.value;
  };

  return {
    expand: (text, where, quote) => expandWith(text, where, lookup, quote),
    value: (name) => {
      lookup(name);
      return used.get(name);
    },
    used,
  };
}

function expanded(scope: Scope, text: string, origin: Origin, where: Where): Sourced<string> {
  return { value: scope.expand(text, where), origin, where };
}

function resolveCommand(job: Job, scope: Scope, quote: (value: string) => string, where: Where): Sourced<Command> {
  if (job.shell !== undefined) {
    refuseInDoubleQuotes(job.shell, where);
    return { value: { shell: scope.expand(job.shell, where, quote) }, origin: "job", where };
  }
  const words = typeof job.command === "string" ? splitWords(job.command, where) : (job.command ?? []);
  return { value: { argv: words.map((word) => scope.expand(word, where)) }, origin: "job", where };
}

const TEXT_KEYS = ["lease", "note", "timeRequest", "retryDelay", "timeout"] as const;
const NUMBER_KEYS = ["gpus", "cpus", "retry", "maxRunning"] as const;

function resolveSettings(how: {
  job: Job | undefined;
  jobName: string | null;
  defaults: Settings;
  project: Project;
  whereOf: (path: string[]) => Where;
  scope: Scope;
}): ResolvedSettings {
  const { job, jobName, defaults, project, whereOf, scope } = how;
  /** The job's value, else the project's. */
  const pick = <K extends keyof Settings>(key: K): Sourced<NonNullable<Settings[K]>> | undefined => {
    const own = job?.[key];
    if (own !== undefined && own !== null) {
      return { value: own as NonNullable<Settings[K]>, origin: "job", where: whereOf(["jobs", jobName ?? "", key]) };
    }
    const shared = defaults[key];
    if (shared === undefined || shared === null) return undefined;
    return { value: shared as NonNullable<Settings[K]>, origin: "project", where: whereOf(["defaults", key]) };
  };
  const text = (found: Sourced<string> | undefined) =>
    found && { ...found, value: scope.expand(found.value, found.where) };
  const settings: ResolvedSettings = {};
  for (const key of TEXT_KEYS) {
    const found = text(pick(key));
    if (found) settings[key] = found;
  }
  for (const key of NUMBER_KEYS) {
    const found = pick(key);
    if (found) settings[key] = found;
  }
  const strictOrder = pick("strictOrder");
  if (strictOrder) settings.strictOrder = strictOrder;
  const sync = pick("sync");
  if (sync) settings.sync = sync;
  const checkpoint = pick("checkpoint");
  if (checkpoint) {
    settings.checkpoint =
      typeof checkpoint.value === "string"
        ? { ...checkpoint, value: scope.expand(checkpoint.value, checkpoint.where) }
        : checkpoint;
  }
  const retryOn = pick("retryOn");
  if (retryOn) {
    settings.retryOn = {
      ...retryOn,
      value: retryOn.value.map((what) => (typeof what === "string" ? scope.expand(what, retryOn.where) : what)),
    };
  }
  const cwd = text(pick("cwd"));
  if (cwd) settings.cwd = { ...cwd, value: isAbsolute(cwd.value) ? cwd.value : join(project.dir, cwd.value) };
  if (job && jobName) {
    const where = (key: string) => whereOf(["jobs", jobName, key]);
    settings.name = job.name ? expanded(scope, job.name, "job", where("name")) : { value: jobName, origin: "default" };
    if (job.after) {
      const at = where("after");
      settings.after = { value: job.after.map((ref) => scope.expand(ref, at)), origin: "job", where: at };
    }
  }
  return settings;
}

/** Every variable the job, the project's defaults and .env could read (defaults included), and the env keys. */
function namesRead(project: Project, job: Job | undefined): Set<string> {
  const texts: string[] = [];
  const collect = (value: unknown): void => {
    if (typeof value === "string") texts.push(value);
    else if (Array.isArray(value)) value.forEach(collect);
    else if (value !== null && typeof value === "object") Object.values(value).forEach(collect);
  };
  collect(project.data.defaults);
  collect(job);
  collect(Object.values(project.dotenv?.vars ?? {}).flatMap((e) => (e.template ? [e.value] : [])));
  const names = new Set([...Object.keys(project.data.defaults?.env ?? {}), ...Object.keys(job?.env ?? {})]);
  for (const text of texts) {
    try {
      for (const name of referencedNames(parseTemplate(text))) names.add(name);
    } catch {
      // a malformed template is reported where it is expanded, with its file and key
    }
  }
  return names;
}

/**
 * A word after the job's name that no value of the job reads is a mistake: a typo (`--datset`), or one of rv's
 * own flags in the job's place (`rv submit train --gpus 2` for `rv submit --gpus 2 train`).
 */
function refuseUnusedWords(job: string, variables: Record<string, string>, referenced: Set<string>): void {
  for (const name of Object.keys(variables)) {
    if (referenced.has(name)) continue;
    const uses = [...referenced].filter((n) => /^[A-Z0-9_]+$/.test(n)).sort();
    throw new RvError("usage", `${flagOfVariable(name)}: job ${job} has no \${${name}}`, {
      hint:
        (uses.length > 0 ? `its variables: ${uses.map(flagOfVariable).join(", ")}; ` : "") +
        `rv's own flags go before the job's name: rv submit [flags] ${job} [variables]`,
    });
  }
}

/**
 * The words after a job's name: `--key value` or `--key=value` set the variable KEY (dashes become
 * underscores, letters upper case: `--data-dir x` is DATA_DIR=x). `flags` are rv's own flags without a value
 * (`--follow`, `--json`), taken wherever they are.
 */
export function jobWords(
  job: string,
  words: readonly string[],
  flags: readonly string[],
): { variables: Record<string, string>; flags: Set<string> } {
  const variables: Record<string, string> = {};
  const given = new Set<string>();
  for (let i = 0; i < words.length; i++) {
    const word = words[i] as string;
    if (flags.includes(word)) {
      given.add(word);
      continue;
    }
    const match = /^--([A-Za-z_][A-Za-z0-9_-]*)(?:=(.*))?$/s.exec(word);
    if (!match?.[1]) {
      throw new RvError("usage", `${JSON.stringify(word)}: after the job's name come its variables, as --name value`, {
        hint: `for example: rv submit ${job} --dataset orc (sets \${DATASET}); a command of your own goes after --`,
      });
    }
    const name = match[1].replaceAll("-", "_").toUpperCase();
    let value = match[2];
    if (value === undefined) {
      const next = words[i + 1];
      if (next === undefined || (next.startsWith("--") && next.length > 2)) {
        throw new RvError("usage", `--${match[1]} needs a value`, {
          hint: `--${match[1]} VALUE, or --${match[1]}=VALUE for a value that starts with --`,
        });
      }
      value = next;
      i++;
    }
    variables[name] = value;
  }
  return { variables, flags: given };
}
