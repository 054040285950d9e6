import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { leasePaths, readEvents, readHeartbeats } from "../fsqueue/index.ts";
import { z } from "../zod.ts";
import { attachTarget } from "./attach.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { DetectedServerSchema, detectServers, parseListening, parseProcesses } from "./servers.ts";

/** Where `rv forward` points its tunnel: a node of a lease's running segment, and what listens there (`--auto`). */
export const ForwardTargetSchema = deferred(() =>
  z.object({
    lease: z.string(),
    jobId: z.string(),
    node: z.string(),
    task: z.nullable(z.object({ id: z.string(), state: z.string() })),
    notes: z.array(z.string()),
    /** `--auto` only: the servers found on the node; null when not asked. */
    servers: z.nullable(z.array(DetectedServerSchema)),
  }),
);
export type ForwardTarget = z.infer<typeof ForwardTargetSchema>;

export const forwardOp = defineOp({
  name: "forward",
  input: deferred(() =>
    z.object({ ref: z._default(z.nullable(z.string()), null), detect: z._default(z.boolean(), false) }),
  ),
  result: ForwardTargetSchema,
  run: (env, input) => forwardTarget(env, input.ref, input.detect),
});

/** The node as rv attach finds it (a running task's runner's node, else the lease's running segment's first). */
async function forwardTarget(env: OpEnv, ref: string | null, detect: boolean): Promise<ForwardTarget> {
  const target = await attachTarget(env, ref);
  if (target.node === null) {
    throw new RvError("no_runner", `job ${target.jobId} of lease ${target.lease} has no node yet`, {
      hint: `rv lease show ${target.lease}`,
    });
  }
  const node = target.node;
  const base = { lease: target.lease, jobId: target.jobId, node, task: target.task, notes: target.notes };
  if (!detect) return { ...base, servers: null };
  const taskPgid = target.task?.state === "running" ? taskPid(env, target.lease, target.task.id) : null;
  const listing = await listNode(env, target.jobId, node);
  const servers = detectServers(parseListening(listing.sockets), parseProcesses(listing.processes), {
    taskPgid,
    uid: process.getuid?.() ?? 0,
  });
  return { ...base, servers };
}

/**
 * The runner starts each task as the leader of its own process group: its pid is the group's id. A task started
 * since its runner's last heartbeat is found by its `started` event.
 */
function taskPid(env: OpEnv, lease: string, task: string): number | null {
  const p = leasePaths(env.root, lease);
  const beats = readHeartbeats(p);
  const beating = beats.flatMap((hb) => hb.running).find((entry) => entry.task === task);
  if (beating) return beating.pid;
  const started = beats
    .flatMap((hb) => readEvents(p, hb.runner))
    .filter((e) => e.type === "started" && e.task === task && e.pid !== undefined)
    .at(-1);
  return started?.pid ?? null;
}

const separator = "---rv-processes---";

/**
 * One step on the node inside the segment's job (`--overlap`, so it shares the job's resources with the runner),
 * printing the listening sockets and the processes that own them. The script is a constant: nothing of the
 * user's reaches the shell.
 */
async function listNode(env: OpEnv, jobId: string, node: string): Promise<{ sockets: string; processes: string }> {
  const script = `command -v ss >/dev/null || exit 127; ss -ltnp; echo ${separator}; ps -eo pid=,pgid=,uid=,args=`;
  const step = ["srun", "--jobid", jobId, "--overlap", "-w", node, "-N1", "-n1", "--quiet", "sh", "-c", script];
  const [result] = await env.remote.run([{ argv: step }]);
  if (result?.exitCode !== 0) {
    const why = result?.exitCode === 127 ? "ss (iproute2) is missing there" : (result?.stderr.trim() ?? "");
    throw new RvError("cluster", `could not list the listening sockets on ${node}: ${why}`, {
      hint: "name the port instead: rv forward PORT [TASK|LEASE]",
    });
  }
  const [sockets = "", processes = ""] = result.stdout.split(`${separator}\n`);
  return { sockets, processes };
}
