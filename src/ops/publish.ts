import { existsSync } from "node:fs";
import type { Race } from "../allocator/index.ts";
import { inheritedEnv } from "../config/index.ts";
import { RvError } from "../errors.ts";
import {
  type Lease,
  type LeasePaths,
  leasePaths,
  newTaskIds,
  publishBatch,
  readTaskNames,
  redrawTaskId,
  type Task,
  type TaskSecrets,
} from "../fsqueue/index.ts";
import { partsOf } from "../lease/parts.ts";
import { requireLease } from "../lease/store.ts";
import { plural } from "../plural.ts";
import { cwdProblem } from "../runner/cwd.ts";
import { resolveDependencies } from "./dependencies.ts";
import { liveRunners } from "./observer.ts";
import type { OpEnv } from "./op.ts";
import { buildTask, type TaskSpec } from "./taskspec.ts";

/**
 * Builds the tasks and publishes them into the lease's inbox; a task without --cwd runs in `env.cwd`. `secrets`
 * (`rv env`) go to each task's 0600 secrets file, never into its record.
 */
export async function publishTasks(
  env: OpEnv,
  leaseId: string,
  specs: TaskSpec[],
  secrets: TaskSecrets = {},
): Promise<{ tasks: Task[]; warnings: string[] }> {
  const lease = openForSubmit(env, leaseId);
  const p = leasePaths(env.root, leaseId);
  const now = env.now();
  const ids = newTaskIds(specs.length, now.getTime());
  const inherited = inheritedEnv(env.env, { withRvSettings: false });
  const built = specs.map((spec, i) =>
    buildTask(spec, {
      id: ids[i] ?? "",
      lease: leaseId,
      cwd: env.cwd,
      inherited,
      host: env.host,
      now,
      config: env.config,
    }),
  );
  refuseWhatNoPartFits(lease, built);
  // A task that runs after others may run in a directory they make.
  const warnings = [
    ...checkWorkingDirs(
      env,
      lease,
      built.filter((_, i) => !specs[i]?.after?.length),
    ),
    ...(await warningsFor(env, p, lease, built)),
  ];
  const ordered = specs.some((spec) => spec.after) ? inDependencyOrder(p, leaseId, built, specs) : built;
  const published = publishAll(p, ordered, secrets);
  const byBuiltId = new Map(ordered.map((task, i) => [task.id, published[i] as Task]));
  return { tasks: built.map((task) => byBuiltId.get(task.id) ?? task), warnings };
}

/** Tasks made from others (`rv rerun`), each published under a fresh id if its own is taken. */
export async function publishMade(
  env: OpEnv,
  leaseId: string,
  made: Task[],
): Promise<{ tasks: Task[]; warnings: string[] }> {
  const lease = openForSubmit(env, leaseId);
  const p = leasePaths(env.root, leaseId);
  refuseWhatNoPartFits(lease, made);
  const warnings = [...checkWorkingDirs(env, lease, made), ...(await warningsFor(env, p, lease, made))];
  return { tasks: publishAll(p, made, {}), warnings };
}

/**
 * A task whose working directory is not there could only fail as it starts. On this machine (a local lease) the
 * runners see what the op sees: the whole submission is refused first. On a Slurm lease the op runs on the login
 * node, which sees the shared filesystem (where `--sync` has pushed the workspace already) but not a node's own
 * disks (`/tmp`, `$TMPDIR`): there it is a warning, and the task goes in.
 */
function checkWorkingDirs(env: OpEnv, lease: Lease, tasks: readonly Pick<Task, "cwd">[]): string[] {
  const warnings: string[] = [];
  for (const cwd of new Set(tasks.map((task) => task.cwd))) {
    const problem = cwdProblem(cwd);
    if (problem === undefined) continue;
    if (lease.kind === "slurm") {
      warnings.push(
        `${problem} on ${env.host}: the task fails as it starts unless its node has it (--sync pushes the project)`,
      );
      continue;
    }
    throw new RvError("not_found", `${problem}: nothing was submitted`, {
      hint: "create it, or give --cwd a directory that exists",
    });
  }
  return warnings;
}

/**
 * A lease of parts is several jobs of one shape, and a task runs in one runner, on one node of one part: a task
 * asking for more GPUs than that would wait forever, as no part will ever hold more. The whole submission is
 * refused before anything is published. (A lease of one part keeps its warning: its shape is the person's.)
 */
export function refuseWhatNoPartFits(lease: Lease, tasks: readonly Pick<Task, "id" | "gpus">[]): void {
  if (lease.kind !== "slurm" || partsOf(lease) < 2) return;
  const parts = partsOf(lease);
  const { gpusPerNode, nodes } = lease.request;
  const tooLarge = tasks.find((task) => task.gpus > gpusPerNode);
  if (!tooLarge) return;
  const per = plural(gpusPerNode, "GPU");
  const most = mostPartsFor(tooLarge.gpus, gpusPerNode * nodes * parts, parts);
  const fits = most === 1 ? "a lease without --parts" : `a lease of --parts ${most}`;
  throw new RvError(
    "cannot_run",
    `a task asks for ${tooLarge.gpus} GPUs, but lease ${lease.id} is ${parts} parts of ${per} each, and a task runs within one part: nothing was submitted`,
    { hint: `ask for at most ${gpusPerNode} (--gpus ${gpusPerNode}), or use fewer --parts: such tasks fit ${fits}` },
  );
}

/**
 * The most parts (fewer than `parts`, dividing the lease's `total` GPUs, every node of every part counted) whose
 * each, asked as one node, holds `gpus`; 1 at worst.
 */
function mostPartsFor(gpus: number, total: number, parts: number): number {
  for (let p = parts - 1; p > 1; p--) if (total % p === 0 && total / p >= gpus) return p;
  return 1;
}

/** The lease a submission goes to, refused when it was released. */
function openForSubmit(env: OpEnv, leaseId: string): Lease {
  const lease = requireLease(env.root, leaseId);
  if (lease.state === "released") {
    throw new RvError("lease_released", `lease ${leaseId} was released`, {
      hint:
        lease.kind === "local"
          ? `start it again with: rv lease up --local --name ${leaseId}`
          : "start a new lease with: rv lease up",
    });
  }
  return lease;
}

/**
 * The batch with its `--after` references as ids, dependencies first: a crash half-way through the links leaves no
 * task waiting forever for one that was never linked.
 */
function inDependencyOrder(p: LeasePaths, leaseId: string, built: Task[], specs: TaskSpec[]): Task[] {
  const batch = built.map((task, i) => ({ id: task.id, name: task.name, tags: task.tags, after: specs[i]?.after }));
  const deps = resolveDependencies([...readTaskNames(p)], batch, leaseId);
  const byId = new Map(built.map((task) => [task.id, task]));
  return deps.order.flatMap((id) => {
    const task = byId.get(id);
    const after = deps.after.get(id);
    return task ? [after ? { ...task, after } : task] : [];
  });
}

/**
 * A lease no runner serves queues the tasks; a task larger than every live runner waits. The runners are read once
 * (their heartbeats and this host's observations of them) for both.
 */
async function warningsFor(env: OpEnv, p: LeasePaths, lease: Lease, tasks: Task[]): Promise<string[]> {
  const live = liveRunners(env, lease);
  if (live.length === 0) {
    const resume =
      lease.kind === "local"
        ? `Resume with: rv lease up --local --name ${lease.id}`
        : `It starts when the lease's segment runs: rv lease show ${lease.id}`;
    return [
      `no runner is alive for lease ${lease.id}; the task is queued. ${resume}`,
      ...(await racing(p, lease, tasks)),
    ];
  }
  const maxGpus = Math.max(0, ...live.map((runner) => runner.gpus.length));
  const maxCpus = Math.max(0, ...live.map((runner) => runner.cpus));
  return tasks
    .filter((task) => task.gpus > maxGpus || task.cpus > maxCpus)
    .map(
      (task) =>
        `task ${task.id} asks for ${plural(task.gpus, "GPU")} and ${plural(task.cpus, "CPU")}, but the largest runner of lease ${lease.id} has ${plural(maxGpus, "GPU")} and ${plural(maxCpus, "CPU")}: it will wait`,
    );
}

/** A Slurm lease whose race of shapes is on: its race and claim are read (and the allocator's records loaded) only then. */
async function racing(p: LeasePaths, lease: Lease, tasks: Task[]): Promise<string[]> {
  if (lease.kind !== "slurm" || !existsSync(p.alloc)) return [];
  const { readClaim, readLatestRace } = await import("../lease/race/store.ts");
  const race = readLatestRace(p);
  return race ? warnWhileShapesRace(lease.id, race, readClaim(p)?.attempt === race.attempt, tasks) : [];
}

/**
 * While a race of shapes (`--parts auto`) is on, the lease has no shape yet: a task larger than a part of one of
 * the shapes raced goes in, and waits for ever if that shape wins (then `rv lease show` names it). Said at submit,
 * with the size that runs whichever shape wins.
 */
export function warnWhileShapesRace(
  leaseId: string,
  race: Pick<Race, "shapes" | "entries">,
  claimed: boolean,
  tasks: Pick<Task, "id" | "gpus">[],
): string[] {
  if (!race.shapes || claimed) return [];
  const raced = race.entries.filter((entry) => entry.refused === null);
  const smallest = raced.reduce<(typeof raced)[number] | undefined>(
    (least, entry) => (least && least.strategy.gpusPerNode <= entry.strategy.gpusPerNode ? least : entry),
    undefined,
  );
  if (!smallest) return [];
  const per = smallest.strategy.gpusPerNode;
  const shape = `${smallest.parts} x ${plural(per, "GPU")}`;
  return tasks
    .filter((task) => task.gpus > per)
    .map(
      (task) =>
        `task ${task.id} asks for ${task.gpus} GPUs while lease ${leaseId} races its shapes: should ${shape} win, no part holds it and it waits (at most ${per} runs in any shape)`,
    );
}

/**
 * Publishes the tasks in one batch, in order (publishBatch). Another submitter may have drawn a task's id in the same
 * millisecond: that task draws again, keeping its place in line, and it and the rest go in a batch of their own, the
 * tasks after it naming it in `--after` by its new id. Secrets (`rv env`) go to each task's 0600 secrets file.
 */
function publishAll(p: LeasePaths, tasks: Task[], secrets: TaskSecrets): Task[] {
  const published: Task[] = [];
  let rest = tasks;
  for (let tries = 0; rest.length > 0; ) {
    const count = publishBatch(p, rest, secrets);
    published.push(...rest.slice(0, count));
    rest = rest.slice(count);
    if (rest.length === 0) break;
    tries = count > 0 ? 1 : tries + 1;
    if (tries >= 5) {
      throw new RvError("io", `could not find a free task id in ${p.inbox}`, { hint: "check the clock and try again" });
    }
    rest = withNewId(rest);
  }
  return published;
}

/** The first task under a new id; the tasks after it that wait for it (`--after`) name the new one. */
export function withNewId([first, ...others]: Task[]): Task[] {
  if (!first) return [];
  const renamed = { ...first, id: redrawTaskId(first.id) };
  const rename = (task: Task): Task =>
    task.after?.includes(first.id)
      ? { ...task, after: task.after.map((dep) => (dep === first.id ? renamed.id : dep)) }
      : task;
  return [renamed, ...others.map(rename)];
}
