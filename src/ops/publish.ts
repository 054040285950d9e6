import { RvError } from "../errors.ts";
import {
  type Lease,
  leasePaths,
  newTaskId,
  newTaskIds,
  publishTask,
  readHeartbeats,
  type Task,
} from "../fsqueue/index.ts";
import { requireLease } from "../lease/index.ts";
import { isLeaseLive } from "./observer.ts";
import type { OpEnv } from "./op.ts";
import { buildTask, type TaskSpec } from "./taskspec.ts";

/** Builds the tasks and publishes them into the lease's inbox; a task without --cwd runs in `env.cwd`. */
export function publishTasks(env: OpEnv, leaseId: string, specs: TaskSpec[]): { tasks: Task[]; warnings: string[] } {
  const lease = requireLease(env.root, leaseId);
  if (lease.state === "released") {
    throw new RvError("lease_released", `lease ${leaseId} was released`, {
      hint:
        lease.kind === "local"
          ? `start it again with: rv lease up --local --name ${leaseId}`
          : "start a new lease with: rv lease up",
    });
  }
  const p = leasePaths(env.root, leaseId);
  const now = env.now();
  const ids = newTaskIds(specs.length, now.getTime());
  const built = specs.map((spec, i) =>
    buildTask(spec, {
      id: ids[i] ?? "",
      lease: leaseId,
      cwd: env.cwd,
      env: env.env,
      host: env.host,
      now,
      config: env.config,
    }),
  );
  const warnings = warningsFor(env, lease, built);
  return { tasks: built.map((task) => publishUnique(p, task)), warnings };
}

function warningsFor(env: OpEnv, lease: Lease, tasks: Task[]): string[] {
  if (!isLeaseLive(env, lease)) {
    const resume =
      lease.kind === "local"
        ? `Resume with: rv lease up --local --name ${lease.id}`
        : `It starts when the lease's segment runs: rv lease show ${lease.id}`;
    return [`no runner is alive for lease ${lease.id}; the task is queued. ${resume}`];
  }
  const beats = readHeartbeats(leasePaths(env.root, lease.id)).filter((hb) => hb.state !== "exited");
  const maxGpus = Math.max(0, ...beats.map((hb) => hb.gpus.length));
  const maxCpus = Math.max(0, ...beats.map((hb) => hb.cpus));
  const count = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return tasks
    .filter((task) => task.gpus > maxGpus || task.cpus > maxCpus)
    .map(
      (task) =>
        `task ${task.id} asks for ${count(task.gpus, "GPU")} and ${count(task.cpus, "CPU")}, but the largest runner of lease ${lease.id} has ${count(maxGpus, "GPU")} and ${count(maxCpus, "CPU")}: it will wait`,
    );
}

/** Another submitter drew the same id in the same millisecond: draw again rather than replace its task. */
function publishUnique(p: ReturnType<typeof leasePaths>, task: Task): Task {
  for (let tries = 0; tries < 5; tries++) {
    const candidate = tries === 0 ? task : { ...task, id: newTaskId(Date.parse(task.submittedAt)) };
    if (publishTask(p, candidate) === "published") return candidate;
  }
  throw new RvError("io", `could not find a free task id in ${p.inbox}`, { hint: "check the clock and try again" });
}
