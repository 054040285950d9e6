import { readFileSync } from "node:fs";
import type { ClusterConfig, Config } from "../../config/index.ts";
import { RvError } from "../../errors.ts";
import { leasePaths, newTaskId, newTaskIds, publishTask, readHeartbeats, type Task } from "../../fsqueue/index.ts";
import { chooseLease, type LeaseChoice, type LeaseFacts, readLease, requireLease } from "../../lease/index.ts";
import { callCluster, streamFromCluster } from "../cluster/call.ts";
import { clusterRemote } from "../cluster/connect.ts";
import { clusterLeaseFacts } from "../cluster/leases.ts";
import type { SubmitResult } from "../cluster/ops/submit.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import { isLeaseLive, leaseFacts } from "../leases.ts";
import { plural, printJson } from "../output.ts";
import { buildTask, parseEnvFlags, parseSpecLines, type TaskSpec, TaskSpecSchema } from "../taskspec.ts";
import { exitStatusOf, followTask, waitForTasks } from "../watch.ts";
import { upLocal } from "./lease/up.ts";

export interface SubmitOptions {
  lease?: string;
  gpus?: string;
  cpus?: string;
  name?: string;
  env: string[];
  cwd?: string;
  shell?: string;
  from?: string;
  tag: string[];
  note?: string;
  strictOrder?: boolean;
  /** `--checkpoint` alone is `true`; `--checkpoint=TERM` names the signal. */
  checkpoint?: true | string;
  timeRequest?: string;
  wait?: boolean;
  follow?: boolean;
}

/** Flags -> the specs of the tasks to submit; nothing is written yet. */
export function specsFromFlags(argv: string[], options: SubmitOptions, ctx: Context): TaskSpec[] {
  const sources = [argv.length > 0, options.shell !== undefined, options.from !== undefined].filter(Boolean).length;
  if (sources !== 1) {
    throw new RvError("usage", "give the command after --, or --shell 'STRING', or --from FILE.jsonl (one of them)", {
      hint: "for example: rv submit -- python train.py --lr 3e-4",
    });
  }
  if (options.from !== undefined) return specsFromFile(options.from);
  const spec = TaskSpecSchema.safeParse({
    ...(argv.length > 0 ? { argv } : { shell: options.shell }),
    gpus: parseCount("--gpus", options.gpus, 0),
    cpus: parseCount("--cpus", options.cpus, 1),
    name: options.name,
    env: parseEnvFlags(options.env, ctx.env),
    cwd: options.cwd,
    tags: options.tag,
    note: options.note,
    strictOrder: options.strictOrder ?? false,
    checkpoint: options.checkpoint,
    timeRequest: options.timeRequest,
  });
  if (!spec.success) throw new RvError("usage", flagMessage(spec.error.issues[0]));
  return [spec.data];
}

/** A spec field's problem told in terms of its flag: `timeRequest` is `--time-request`. */
function flagMessage(issue: { path: PropertyKey[]; message: string } | undefined): string {
  if (issue === undefined) return "invalid task";
  const [field] = issue.path;
  if (typeof field !== "string") return issue.message;
  return `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: ${issue.message}`;
}

function specsFromFile(file: string): TaskSpec[] {
  let text: string;
  try {
    text = readFileSync(file === "-" ? 0 : file, "utf8");
  } catch (error) {
    throw new RvError("usage", `--from ${file}: ${(error as Error).message}`);
  }
  const { specs, bad } = parseSpecLines(text);
  if (bad.length > 0) {
    const lines = bad.map((b) => `  line ${b.line}: ${b.reason}`).join("\n");
    throw new RvError("usage", `${file}: ${plural(bad.length, "bad line")}, nothing was submitted\n${lines}`, {
      hint: 'each line is one JSON object such as {"argv": ["python", "x.py"], "gpus": 1}',
    });
  }
  if (specs.length === 0) throw new RvError("usage", `${file}: no tasks in it`);
  return specs;
}

async function pickLease(ctx: Context, config: Config, named: string | undefined): Promise<LeaseChoice> {
  // With a cluster, its leases are candidates too: one round trip, only when no lease is named.
  const remote = !named && config.cluster ? await reachableLeaseFacts(ctx, config.cluster) : [];
  const choice = chooseLease(named, [...leaseFacts(ctx, config), ...remote], config.defaults.lease);
  if (choice.kind === "start-default") {
    const result = await upLocal(ctx, config, { name: choice.lease });
    if (result.outcome !== "already-running") {
      ctx.io.err(`rv: ${result.outcome} local lease ${choice.lease} (runner pid ${result.pid})\n`);
    }
  } else if (choice.kind === "most-recent-live") {
    ctx.io.err(`rv: using lease ${choice.lease}, the most recent of ${choice.others.length + 1} running leases\n`);
  } else if (choice.kind === "only-live" && choice.cluster) {
    ctx.io.err(`rv: using lease ${choice.lease} on cluster ${choice.cluster}, the only running lease\n`);
  }
  return choice;
}

/** A cluster out of reach (VPN down) must not stop work on this machine: its leases are then left out. */
async function reachableLeaseFacts(ctx: Context, cluster: ClusterConfig): Promise<LeaseFacts[]> {
  try {
    return await clusterLeaseFacts(ctx, cluster);
  } catch (error) {
    if (!(error instanceof RvError) || error.code !== "unreachable") throw error;
    ctx.io.err(
      `rv: cluster ${cluster.name} is out of reach (${error.message}); choosing among this machine's leases\n`,
    );
    return [];
  }
}

function warnings(ctx: Context, config: Config, leaseId: string, tasks: Task[]): string[] {
  const lease = requireLease(ctx.root, leaseId);
  if (lease.state === "released") {
    throw new RvError("lease_released", `lease ${leaseId} was released`, {
      hint: `start it again with: rv lease up --local --name ${leaseId}`,
    });
  }
  if (!isLeaseLive(ctx, config, lease)) {
    return [
      `no runner is alive for lease ${leaseId}; the task is queued. Resume with: rv lease up --local --name ${leaseId}`,
    ];
  }
  const beats = readHeartbeats(leasePaths(ctx.root, leaseId)).filter((hb) => hb.state !== "exited");
  const maxGpus = Math.max(0, ...beats.map((hb) => hb.gpus.length));
  const maxCpus = Math.max(0, ...beats.map((hb) => hb.cpus));
  return tasks
    .filter((task) => task.gpus > maxGpus || task.cpus > maxCpus)
    .map(
      (task) =>
        `task ${task.id} asks for ${plural(task.gpus, "GPU")} and ${plural(task.cpus, "CPU")}, but the largest runner of lease ${leaseId} has ${plural(maxGpus, "GPU")} and ${plural(maxCpus, "CPU")}: it will wait`,
    );
}

export async function runSubmit(ctx: Context, config: Config, argv: string[], options: SubmitOptions): Promise<number> {
  if (options.wait && options.follow) throw new RvError("usage", "--wait and --follow do not go together: pick one");
  const specs = specsFromFlags(argv, options, ctx);
  if (options.lease && config.cluster && !readLease(ctx.root, options.lease)) {
    return submitToCluster(ctx, config.cluster, options, specs);
  }
  const choice = await pickLease(ctx, config, options.lease);
  if (choice.kind !== "named" && choice.kind !== "start-default" && choice.cluster && config.cluster) {
    return submitToCluster(ctx, config.cluster, { ...options, lease: choice.lease }, specs);
  }
  const leaseId = choice.lease;
  const { tasks, notes } = publishTasks(ctx, config, leaseId, specs, process.cwd());
  if (ctx.json && !options.wait && !options.follow) {
    printJson(ctx.io, {
      lease: leaseId,
      tasks: tasks.map((t) => ({ id: t.id, name: t.name ?? null })),
      warnings: notes,
    });
  } else if (!ctx.json) {
    for (const task of tasks) ctx.io.out(`${task.id}\n`);
    for (const note of notes) ctx.io.err(`rv: warning: ${note}\n`);
  }
  if (!options.wait && !options.follow) return 0;
  return followTasks(ctx, config, leaseId, tasks, options.follow === true);
}

/** A lease that is not on this machine is looked for on the cluster: the task goes there in one round trip. */
async function submitToCluster(
  ctx: Context,
  cluster: ClusterConfig,
  options: SubmitOptions,
  specs: TaskSpec[],
): Promise<number> {
  const remote = clusterRemote(ctx.root, cluster.host);
  if (options.wait || options.follow) {
    const args = { lease: options.lease, specs, follow: options.follow === true };
    return streamFromCluster(remote, cluster, ctx.env, "run", args, { out: ctx.io.out, err: ctx.io.err });
  }
  const result = (await callCluster(remote, cluster, ctx.env, "submit", {
    lease: options.lease,
    specs,
  })) as SubmitResult;
  if (ctx.json) printJson(ctx.io, { cluster: cluster.name, ...result });
  else {
    for (const task of result.tasks) ctx.io.out(`${task.id}\n`);
    for (const note of result.warnings) ctx.io.err(`rv: warning: ${note}\n`);
  }
  return 0;
}

/**
 * Builds the tasks and publishes them into the lease's inbox. Also the cluster side of a submit from a
 * laptop (cluster/ops/submit.ts), where `cwd` is the login node's home unless the spec names one.
 */
export function publishTasks(
  ctx: Context,
  config: Config,
  leaseId: string,
  specs: TaskSpec[],
  cwd: string,
): { tasks: Task[]; notes: string[] } {
  const p = leasePaths(ctx.root, leaseId);
  const now = ctx.now();
  const ids = newTaskIds(specs.length, now.getTime());
  const built = specs.map((spec, i) =>
    buildTask(spec, { id: ids[i] ?? "", lease: leaseId, cwd, env: ctx.env, host: ctx.host, now, config }),
  );
  const notes = warnings(ctx, config, leaseId, built);
  return { tasks: built.map((task) => publishUnique(p, task)), notes };
}

/** Another submitter drew the same id in the same millisecond: draw again rather than replace its task. */
function publishUnique(p: ReturnType<typeof leasePaths>, task: Task): Task {
  for (let tries = 0; tries < 5; tries++) {
    const candidate = tries === 0 ? task : { ...task, id: newTaskId(Date.parse(task.submittedAt)) };
    if (publishTask(p, candidate) === "published") return candidate;
  }
  throw new RvError("io", `could not find a free task id in ${p.inbox}`, { hint: "check the clock and try again" });
}

/** Stays with submitted tasks: streams the one task's output (`follow`) or waits; exits with their status. */
export async function followTasks(
  ctx: Context,
  config: Config,
  lease: string,
  tasks: Task[],
  follow: boolean,
): Promise<number> {
  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  process.once("SIGINT", onInterrupt);
  try {
    const refs = tasks.map((task) => ({ lease, id: task.id }));
    const [first] = refs;
    const views =
      follow && first && refs.length === 1
        ? [await followTask(ctx, config, first, { streams: ["out", "err"], fromStart: true, stop: stop.signal })]
        : (await waitForTasks(ctx, config, refs, { stop: stop.signal })).views;
    if (stop.signal.aborted) {
      ctx.io.err(`rv: stopped following; the task goes on (rv logs -f ${tasks[0]?.id})\n`);
      return 130;
    }
    if (ctx.json) printJson(ctx.io, { lease, tasks: views });
    else if (!follow) for (const view of views) ctx.io.err(`rv: ${view?.id} ${view?.state}\n`);
    return Math.max(...views.map(exitStatusOf));
  } finally {
    process.removeListener("SIGINT", onInterrupt);
  }
}
