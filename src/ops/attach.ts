import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { leasePaths, readHeartbeats, type SlurmLease } from "../fsqueue/index.ts";
import { chooseLease, listLeases, readLease, readSegments, readTaskView, TaskStateSchema } from "../lease/index.ts";
import { jobStatus } from "../slurm/index.ts";
import { z } from "../zod.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { leaseFacts, observerFor } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { referableTasks, resolveTaskRef } from "./refs.ts";

/** Where `rv attach` opens its shell: a segment's job, on one of its nodes, in a directory. */
export const AttachTargetSchema = deferred(() =>
  z.object({
    lease: z.string(),
    jobId: z.string(),
    /** The node for `srun -w`; null: srun's choice (the job's first node). */
    node: z.nullable(z.string()),
    /** A running task's working directory, when a task was named. */
    cwd: z.nullable(z.string()),
    task: z.nullable(z.object({ id: z.string(), state: TaskStateSchema })),
    /** For the person: which lease was taken, or why the named task's own node was not. */
    notes: z.array(z.string()),
  }),
);
export type AttachTarget = z.infer<typeof AttachTargetSchema>;

export const attachOp = defineOp({
  name: "attach",
  input: deferred(() => z.object({ ref: z._default(z.nullable(z.string()), null) })),
  result: AttachTargetSchema,
  run: (env, input) => attachTarget(env, input.ref),
});

/**
 * `rv attach [TASK|LEASE]`, resolved on the login node in one call. A lease: its newest running segment (two
 * run at once during an overlap renewal). A running task: the job of its runner's segment, on its runner's node,
 * in its directory. A task that is not running: its lease, saying so. Nothing named: the only or newest
 * live Slurm lease.
 */
export async function attachTarget(env: OpEnv, given: string | null): Promise<AttachTarget> {
  const { root } = env;
  const notes: string[] = [];
  if (given === null) return leaseTarget(env, defaultLease(env, notes), notes);
  if (readLease(root, given)) return leaseTarget(env, given, notes);
  const leases = listLeases(root, warnOfBadLease(env)).map((l) => l.id);
  const referable = referableTasks(root, leases, [given]);
  const ref = resolveTaskRef(referable.tasks, given, referable.total);
  const p = leasePaths(root, ref.lease);
  const view = readTaskView(p, ref.id, observerFor(env));
  const task = { id: ref.id, state: view?.state ?? ("lost" as const) };
  const runner = view?.state === "running" ? readHeartbeats(p).find((hb) => hb.runner === view.runner) : undefined;
  const segment = runner && readSegments(p).find((s) => String(s.n) === runner.segment);
  if (!view || !runner || !segment) {
    notes.push(`task ${ref.id} is ${task.state}, not running: attaching to its lease ${ref.lease}`);
    return { ...(await leaseTarget(env, ref.lease, notes)), task };
  }
  return {
    lease: ref.lease,
    jobId: segment.jobId,
    node: runner.node ?? runner.host,
    cwd: view.cwd,
    task,
    notes,
  };
}

async function leaseTarget(env: OpEnv, id: string, notes: string[]): Promise<AttachTarget> {
  const lease = requireSlurmLease(env, id);
  const segments = readSegments(leasePaths(env.root, lease.id));
  const jobs = await jobStatus(
    env.remote,
    segments.map((s) => s.jobId),
  );
  const running = jobs.filter((j) => j.state?.kind === "running").at(-1);
  if (!running) {
    throw new RvError("no_runner", `lease ${lease.id} has no running segment to attach to`, {
      hint: `rv lease show ${lease.id} says where it stands`,
    });
  }
  const [first, ...others] = running.nodes;
  if (others.length)
    notes.push(`job ${running.jobId} runs on ${running.nodes.join(",")}: opening the shell on ${first}`);
  return { lease: lease.id, jobId: running.jobId, node: first ?? null, cwd: null, task: null, notes };
}

function requireSlurmLease(env: OpEnv, id: string): SlurmLease {
  const lease = readLease(env.root, id);
  if (lease?.kind === "slurm") return lease;
  throw new RvError(
    "usage",
    `lease ${id} on the cluster is ${lease ? "a local lease: it has no node to attach to" : "unknown"}`,
    {
      hint: "rv lease ls lists the cluster's leases",
    },
  );
}

/** The only live Slurm lease, or the newest (chooseLease, as `rv submit` picks one), saying which when there were several. */
function defaultLease(env: OpEnv, notes: string[]): string {
  const slurm = new Set(
    listLeases(env.root, warnOfBadLease(env))
      .filter((l) => l.kind === "slurm")
      .map((l) => l.id),
  );
  const choice = chooseLease(
    undefined,
    leaseFacts(env).filter((l) => slurm.has(l.id)),
    "",
  );
  if (choice.kind === "start-default") {
    throw new RvError("not_found", "no running lease on the cluster", { hint: "rv lease ls" });
  }
  if (choice.kind === "most-recent-live") {
    notes.push(`using lease ${choice.lease}, the most recent of ${choice.others.length + 1} running leases`);
  }
  return choice.lease;
}
