import { readFileSync } from "node:fs";
import { RvError } from "../../errors.ts";
import { chooseLease, type LeaseFacts } from "../../lease/select.ts";
import { leaseListOp } from "../../ops/lease-list.ts";
import type { Place } from "../../ops/places.ts";
import { submitOp } from "../../ops/submit.ts";
import { parseSpecLines, type SpecDefaults, type TaskSpec, TaskSpecSchema } from "../../ops/taskspec.ts";
import { plural } from "../../plural.ts";
import type { Context } from "../context.ts";
import { parseCount, parseEnvFlags } from "../flags.ts";
import { printJson } from "../output.ts";
import { gather, placeOfLease, placesFor } from "../route.ts";
import { applyProject, type TaskFlags, withoutSync } from "./job.ts";
import { secretsForPlace } from "./task-secrets.ts";

/** The flags of `rv submit`, `rv run` and `rv sweep` as commander gives them (job.ts). */
export type SubmitOptions = TaskFlags;

/** Flags -> the specs of the tasks to submit; nothing is written yet. */
export function specsFromFlags(argv: string[], options: SubmitOptions, env: NodeJS.ProcessEnv): TaskSpec[] {
  const sources = [argv.length > 0, options.shell !== undefined, options.from !== undefined].filter(Boolean).length;
  if (sources !== 1) {
    throw new RvError("usage", "give the command after --, or --shell 'STRING', or --from FILE.jsonl (one of them)", {
      hint: "for example: rv submit -- python train.py --lr 3e-4",
    });
  }
  if (options.from !== undefined) {
    if (options.name !== undefined) {
      throw new RvError("usage", '--name names one task: with --from, give each line its own "name"', {
        hint: 'for example {"argv": ["python", "x.py"], "name": "lr-3e-4"}',
      });
    }
    return specsFromFile(options.from, flagDefaults(options, env));
  }
  // The one task is the flags' own check: the same schema, the same messages.
  const spec = TaskSpecSchema.safeParse({
    ...(argv.length > 0 ? { argv } : { shell: options.shell }),
    ...givenFlags(options, env),
    name: options.name,
  });
  if (!spec.success) throw new RvError("usage", flagMessage(spec.error.issues[0]));
  return [spec.data];
}

/** The flags that say what a task asks for, as given and checked: with --from they are every line's defaults. */
export function flagDefaults(options: SubmitOptions, env: NodeJS.ProcessEnv): SpecDefaults {
  const given = givenFlags(options, env);
  const checked = TaskSpecSchema.safeParse({ argv: ["true"], ...given });
  if (!checked.success) throw new RvError("usage", flagMessage(checked.error.issues[0]));
  return given;
}

/** The flags that say what a task asks for, as given (counts and `--env` read, nothing else checked). */
function givenFlags(options: SubmitOptions, env: NodeJS.ProcessEnv): SpecDefaults {
  const gpus = parseCount("--gpus", options.gpus, 0);
  const cpus = parseCount("--cpus", options.cpus, 1);
  return {
    ...(gpus !== undefined && { gpus }),
    ...(cpus !== undefined && { cpus }),
    ...(options.env.length > 0 && { env: parseEnvFlags(options.env, env) }),
    ...(options.cwd !== undefined && { cwd: options.cwd }),
    ...(options.tag.length > 0 && { tags: options.tag }),
    ...(afterRefs(options.after).length > 0 && { after: afterRefs(options.after) }),
    ...((options.outputs ?? []).length > 0 && { outputs: options.outputs }),
    ...(options.note !== undefined && { note: options.note }),
    ...(options.strictOrder && { strictOrder: true }),
    ...(options.checkpoint !== undefined && { checkpoint: options.checkpoint }),
    ...(options.timeRequest !== undefined && { timeRequest: options.timeRequest }),
    ...(options.maxRunning !== undefined && { maxRunning: maxRunningOf(options.maxRunning, options.tag[0]) }),
    ...retryFlags(options),
    ...(options.timeout !== undefined && { timeout: options.timeout }),
  };
}

/** As given: a comma may separate references or belong to a name, which only the lease can tell (dependencies.ts). */
function afterRefs(given: readonly string[] | undefined): string[] {
  return (given ?? []).map((ref) => ref.trim()).filter(Boolean);
}

/** `rv run --gpu N [--type T] [--partition P] [--time D] -- CMD`: a short lease just for the task. */
async function runOwn(ctx: Context, options: SubmitOptions, specs: TaskSpec[]): Promise<number> {
  const place = ctx.cluster;
  if (!place) {
    throw new RvError("usage", "--gpu gets the task a lease of its own on the cluster, and no cluster is configured", {
      hint: "set one up with rv init, or run here: rv run -- CMD",
    });
  }
  const leaseOptions = {
    gpu: options.gpu,
    ...(options.type !== undefined && { type: options.type }),
    ...(options.partition !== undefined && { partition: options.partition }),
    ...(options.time !== undefined && { time: options.time }),
  };
  const { runInOwnLease } = await import("./own-lease.ts");
  return runInOwnLease(ctx, leaseOptions, { specs, secrets: await secretsForPlace(ctx, place) });
}

/** `--retry N [--retry-delay D] [--retry-on 1,137,SIGKILL,timeout]`. */
function retryFlags(options: SubmitOptions): SpecDefaults {
  const retry = parseCount("--retry", options.retry, 0);
  if (retry === undefined) {
    if (options.retryDelay !== undefined || options.retryOn !== undefined) {
      throw new RvError("usage", "--retry-delay and --retry-on go with --retry N", {
        hint: "for example: --retry 2 --retry-delay 30s --retry-on 1,SIGKILL",
      });
    }
    return {};
  }
  const retryOn = options.retryOn?.split(",").map((what) => {
    const text = what.trim();
    return /^-?\d+$/.test(text) ? Number(text) : text === "timeout" ? text : text.toUpperCase();
  });
  return {
    retry,
    ...(options.retryDelay !== undefined && { retryDelay: options.retryDelay }),
    ...(retryOn !== undefined && { retryOn }),
  };
}

/** `--max-running N`: a cap on the tasks that share `group` (a sweep's id, else the first `--tag`). */
export function maxRunningOf(text: string, group: string | undefined): { group: string; max: number } {
  const max = parseCount("--max-running", text, 1) ?? 1;
  if (group === undefined) {
    throw new RvError("usage", "--max-running caps the tasks that share a tag: give the tasks one with --tag", {
      hint: "for example: rv submit --tag prep --max-running 2 -- ./prep.sh; rv sweep caps its own points",
    });
  }
  return { group, max };
}

/** A spec field's problem told in terms of its flag: `timeRequest` is `--time-request`, `tags` is `--tag`. */
function flagMessage(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (issue === undefined) return "invalid task";
  const [field] = issue.path;
  if (typeof field !== "string") return issue.message;
  const flag = field === "tags" ? "tag" : field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
  return `--${flag}: ${issue.message}`;
}

/** The text of `--from FILE`: `-` is standard input. */
export function readFromFile(file: string): string {
  try {
    return readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new RvError("usage", `--from ${file}: ${(error as Error).message}`);
  }
}

function specsFromFile(file: string, defaults: SpecDefaults): TaskSpec[] {
  const text = readFromFile(file);
  const { specs, bad } = parseSpecLines(text, defaults);
  if (bad.length > 0) {
    const lines = bad.map((b) => `  line ${b.line}: ${b.reason}`).join("\n");
    throw new RvError("usage", `${file}: ${plural(bad.length, "bad line")}, nothing was submitted\n${lines}`, {
      hint: 'each line is one JSON object such as {"argv": ["python", "x.py"], "gpus": 1}',
    });
  }
  if (specs.length === 0) throw new RvError("usage", `${file}: no tasks in it`);
  return specs;
}

/**
 * The lease a submit goes to: the one named (here, else on the cluster); inside a task, the task's own lease;
 * else the only or newest running one of
 * either place (the cluster's leases cost one round trip, and a cluster out of reach leaves this machine's), else
 * the default local lease, started on demand so that a first `rv submit` works.
 */
export async function chooseTarget(
  ctx: Context,
  named: string | undefined,
  dryRun = false,
): Promise<{ place: Place; lease: string; unstarted?: true }> {
  if (named) return { place: placeOfLease(ctx, named), lease: named };
  // A task submitting more tasks (dynamic task generation): its own lease, in the root its runner gave it.
  if (ctx.env.RV_TASK_ID && ctx.env.RV_LEASE_ID) return { place: ctx.local, lease: ctx.env.RV_LEASE_ID };
  const places = placesFor(ctx, null);
  const { reached, missing } = await gather(places, (place) => place.call(leaseListOp, { summaries: false }));
  for (const { place, error } of missing) {
    ctx.io.err(`rv: ${place.where} is out of reach (${error.message}); choosing among this machine's leases\n`);
  }
  const facts: (LeaseFacts & { place: Place })[] = reached.flatMap(({ place, value }) =>
    value.leases.map((l) => ({ ...l, place, ...(place.kind === "cluster" && { cluster: place.name }) })),
  );
  const choice = chooseLease(undefined, facts, ctx.config.defaults.lease);
  if (choice.kind === "start-default" && dryRun) {
    // A dry run changes nothing: the default lease is named, not started (the sweep op sees it empty).
    ctx.io.err(`rv: would start local lease ${choice.lease}\n`);
    return { place: ctx.local, lease: choice.lease, unstarted: true };
  }
  if (choice.kind === "start-default") {
    // Loaded only to start one: the runner's start-up and notify settings are no submit's business otherwise.
    const { leaseUpLocalOp } = await import("../../ops/lease-up-local.ts");
    const up = await ctx.local.call(leaseUpLocalOp, { name: choice.lease });
    if (up.outcome !== "already-running") {
      ctx.io.err(`rv: ${up.outcome} local lease ${choice.lease} (runner pid ${up.pid})\n`);
    }
    return { place: ctx.local, lease: choice.lease };
  }
  const cluster = choice.kind === "named" ? undefined : choice.cluster;
  const where = cluster ? ` on cluster ${cluster}` : "";
  if (choice.kind === "most-recent-live") {
    ctx.io.err(
      `rv: using lease ${choice.lease}${where}, the most recent of ${choice.others.length + 1} running leases\n`,
    );
  } else if (choice.kind === "only-live" && cluster) {
    ctx.io.err(`rv: using lease ${choice.lease}${where}, the only running lease\n`);
  }
  const place = facts.find((f) => f.id === choice.lease && f.cluster === cluster)?.place;
  return { place: place ?? ctx.local, lease: choice.lease };
}

/** rv's own flags without a value that may follow a job's name (`rv submit train --dataset orc --follow`). */
const SUBMIT_WORD_FLAGS = ["--json", "--wait", "--follow"];

export async function runSubmit(
  context: Context,
  typed: string[],
  flags: SubmitOptions & { afterDashes?: boolean },
): Promise<number> {
  const { ctx, submission } = applyProject(context, typed, flags, {
    verbFlags: SUBMIT_WORD_FLAGS,
    check: (given) => flagDefaults(given, context.env),
  });
  const { argv, flags: given } = submission;
  if (given.wait && given.follow) throw new RvError("usage", "--wait and --follow do not go together: pick one");
  const own = given.gpu !== undefined;
  if (own && given.lease !== undefined) {
    throw new RvError("usage", "--gpu gets the task a lease of its own: --lease names one it already has", {
      hint: "rv run --gpu 1 -- CMD (its own lease), or rv run --lease L --gpus 1 -- CMD",
    });
  }
  // rv run --gpu N: the task asks for the lease's GPUs unless --gpus says otherwise.
  const options = own && given.gpus === undefined ? { ...given, gpus: given.gpu } : given;
  const parsed = specsFromFlags(argv, options, ctx.env);
  if (own) return runOwn(ctx, options, parsed);
  const { place, lease } = await chooseTarget(ctx, options.lease);
  // --sync, --wait and --follow load their code when given: a plain submit's start-up pays for none of it.
  const specs = options.sync
    ? await (await import("./sync.ts")).syncedSpecs(ctx, place, parsed)
    : withoutSync(ctx, parsed, submission.projectDir, place);
  const secrets = await secretsForPlace(ctx, place);
  if (options.wait || options.follow) {
    const { stayWith } = await import("./stay-with.ts");
    return stayWith(ctx, place, { lease, specs, secrets, follow: options.follow === true });
  }
  const result = await place.call(submitOp, { lease, specs, secrets });
  if (ctx.json) printJson(ctx.io, { ...(place.kind === "cluster" && { cluster: place.name }), ...result });
  else {
    // One write for the lot: a write per id cost a --from of 10,000 lines 10,000 system calls.
    ctx.io.out(result.tasks.map((task) => `${task.id}\n`).join(""));
    for (const note of result.warnings) ctx.io.err(`rv: warning: ${note}\n`);
  }
  return 0;
}
