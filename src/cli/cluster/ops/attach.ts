import { z } from "zod";
import { RvError } from "../../../errors.ts";
import { leasePaths, readHeartbeats, type SlurmLease } from "../../../fsqueue/index.ts";
import {
  chooseLease,
  listLeases,
  readLease,
  readSegments,
  readTaskView,
  type TaskState,
} from "../../../lease/index.ts";
import { jobStatus } from "../../../slurm/index.ts";
import { leaseFacts, observerFor } from "../../leases.ts";
import { resolveTaskRef, taskIndex } from "../../refs.ts";
import type { ClusterSide } from "../side.ts";

export const AttachArgsSchema = z.object({ ref: z.string().optional() });
export type AttachArgs = z.infer<typeof AttachArgsSchema>;

/** Where `rv attach` opens its shell: a segment's job, on one of its nodes, in a directory. */
export interface AttachTarget {
  lease: string;
  jobId: string;
  /** The node for `srun -w`; null: srun's choice (the job's first node). */
  node: string | null;
  /** A running task's working directory, when a task was named. */
  cwd: string | null;
  task: { id: string; state: TaskState } | null;
  /** For the person: which lease was taken, or why the named task's own node was not. */
  notes: string[];
}

/**
 * `rv attach [TASK|LEASE]`, resolved on the login node in one call. A lease: its newest running segment (two
 * run at once during an overlap renewal). A running task: the job of its runner's segment, on its runner's node,
 * in its directory. A task that is not running: its lease, saying so. Nothing named: the only or newest
 * live Slurm lease.
 */
export async function attachOp(side: ClusterSide, args: AttachArgs): Promise<AttachTarget> {
  const { root } = side.ctx;
  const notes: string[] = [];
  if (args.ref === undefined) return leaseTarget(side, defaultLease(side, notes), notes);
  if (readLease(root, args.ref)) return leaseTarget(side, args.ref, notes);
  const ref = resolveTaskRef(
    taskIndex(
      root,
      listLeases(root).map((l) => l.id),
    ),
    args.ref,
  );
  const p = leasePaths(root, ref.lease);
  const view = readTaskView(p, ref.id, observerFor(side.ctx, side.config));
  const task = { id: ref.id, state: view?.state ?? ("lost" as const) };
  const runner = view?.state === "running" ? readHeartbeats(p).find((hb) => hb.runner === view.runner) : undefined;
  const segment = runner && readSegments(p).find((s) => String(s.n) === runner.segment);
  if (!view || !runner || !segment) {
    notes.push(`task ${ref.id} is ${task.state}, not running: attaching to its lease ${ref.lease}`);
    return { ...(await leaseTarget(side, ref.lease, notes)), task };
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

async function leaseTarget(side: ClusterSide, id: string, notes: string[]): Promise<AttachTarget> {
  const lease = requireSlurmLease(side, id);
  const segments = readSegments(leasePaths(side.ctx.root, lease.id));
  const jobs = await jobStatus(
    side.remote,
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

function requireSlurmLease(side: ClusterSide, id: string): SlurmLease {
  const lease = readLease(side.ctx.root, id);
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
function defaultLease(side: ClusterSide, notes: string[]): string {
  const slurm = new Set(
    listLeases(side.ctx.root)
      .filter((l) => l.kind === "slurm")
      .map((l) => l.id),
  );
  const choice = chooseLease(
    undefined,
    leaseFacts(side.ctx, side.config).filter((l) => slurm.has(l.id)),
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
