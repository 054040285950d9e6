import { deferred } from "../deferred.ts";
import { type LeasePaths, leasePaths, readHeartbeats, readLeaseEvents } from "../fsqueue/index.ts";
import { readLeaseTasks, requireLease, type TaskView } from "../lease/index.ts";
import { z } from "../zod.ts";
import { fewerSteps, type GpuSpan, gpuSteps } from "./gpu-steps.ts";
import { observerFor } from "./observer.ts";
import { defineOp } from "./op.ts";

/** The events that start and end attempts: all readAttemptSpans reads of the logs. */
const ATTEMPT_EVENTS = ["started", "finished", "requeued", "recovered"] as const;

type TaskGpus = Pick<TaskView, "id" | "gpus" | "state" | "attempt" | "startedAt">;

/** An attempt seen in the window: `from` the window's start when only its end is in it, `runner` the one that ended it. */
interface Attempt {
  from: number;
  runner: string;
  ended: boolean;
}

const epochOf = (time: string) => Date.parse(time) / 1000;

/**
 * When each attempt of the tasks that ask for GPUs ran since `since` (epoch seconds), from the lease's runners'
 * events: `started`, then `finished` or `requeued` (a requeued attempt held its GPUs too: a segment's end, a
 * retry), or `recovered` by another runner when its own died. An attempt without its start among the events started
 * before them (`since`); one without its end runs still when its task runs in it now, else it ended when its runner
 * was last heard of (its heartbeat, or its last event if later: a runner that died and was never recovered).
 */
export function readAttemptSpans(p: LeasePaths, tasks: Iterable<TaskGpus>, since: number): GpuSpan[] {
  const byId = new Map<string, TaskGpus>();
  for (const task of tasks) if (task.gpus > 0) byId.set(task.id, task);
  const lastHeard = new Map(readHeartbeats(p).map((beat) => [beat.runner, epochOf(beat.time)]));
  // Each runner's log is in time order, but an attempt may end in another's (a claim taken over, a recovery):
  // starts are gathered first, by task and attempt, then matched with the ends.
  const attempts = new Map<string, Map<number, Attempt>>();
  const ends: { task: TaskGpus; attempt: number; at: number; runner: string }[] = [];
  const recoveries: { task: TaskGpus; at: number }[] = [];
  for (const event of readLeaseEvents(p, { sinceMs: since * 1000, types: ATTEMPT_EVENTS })) {
    const at = epochOf(event.time);
    if (at > (lastHeard.get(event.runner) ?? Number.NEGATIVE_INFINITY)) lastHeard.set(event.runner, at);
    const task = event.task === undefined ? undefined : byId.get(event.task);
    if (!task) continue;
    if (event.type === "recovered") recoveries.push({ task, at });
    else if (event.attempt === undefined) continue;
    else if (event.type === "started") {
      const ofTask = attempts.get(task.id) ?? new Map<number, Attempt>();
      ofTask.set(event.attempt, { from: at, runner: event.runner, ended: false });
      attempts.set(task.id, ofTask);
    } else ends.push({ task, attempt: event.attempt, at, runner: event.runner });
  }
  const spans: GpuSpan[] = [];
  for (const { task, attempt: n, at, runner } of ends) {
    const ofTask = attempts.get(task.id) ?? new Map<number, Attempt>();
    attempts.set(task.id, ofTask);
    const attempt = ofTask.get(n);
    if (attempt?.ended) continue; // ended twice (a duplicate requeued or finished): counted once
    spans.push({ from: attempt?.from ?? since, to: at, gpus: task.gpus });
    ofTask.set(n, { from: attempt?.from ?? since, runner: attempt?.runner ?? runner, ended: true });
  }
  for (const { task, at } of recoveries) {
    for (const attempt of attempts.get(task.id)?.values() ?? []) {
      if (attempt.ended || attempt.from > at) continue;
      spans.push({ from: attempt.from, to: at, gpus: task.gpus });
      attempt.ended = true;
    }
  }
  for (const task of byId.values()) {
    const ofTask = attempts.get(task.id);
    const runs = task.state === "running";
    for (const [n, { from, runner, ended }] of ofTask ?? []) {
      if (ended) continue;
      const to = runs && task.attempt === n ? null : (lastHeard.get(runner) ?? from);
      spans.push({ from, to, gpus: task.gpus });
    }
    // Running since before the events read: its start is the task's.
    if (runs && task.startedAt && !ofTask?.has(task.attempt)) {
      spans.push({ from: epochOf(task.startedAt), to: null, gpus: task.gpus });
    }
  }
  return spans;
}

export const GpuStepsSchema = deferred(() => z.object({ times: z.array(z.number()), values: z.array(z.number()) }));

export const LeaseGpusSchema = deferred(() =>
  z.object({
    since: z.number(),
    until: z.number(),
    /** GPUs the lease's tasks held, over time: GPU_STEPS_MAX steps at most. */
    busy: GpuStepsSchema,
    /** When that last changed (`since` if it did not): a released lease held its GPUs until then. */
    lastChange: z.number(),
  }),
);
export type LeaseGpus = z.infer<typeof LeaseGpusSchema>;

/**
 * `rv ui`'s lease page: how many GPUs the lease's tasks held over its last `seconds` (since it began, if later) to
 * now, from each attempt's start and end in its runners' events, as read where the lease lives, by its clock. Only
 * the events since then are read (each log from its end), and the answer is GPU_STEPS_MAX steps at most, however
 * long the history.
 */
export const leaseGpusOp = defineOp({
  name: "lease-gpus",
  input: deferred(() => z.object({ lease: z.string(), seconds: z.number().check(z.positive()) })),
  result: LeaseGpusSchema,
  run(env, input) {
    const lease = requireLease(env.root, input.lease);
    const p = leasePaths(env.root, input.lease);
    const until = Math.round(env.now().getTime() / 1000);
    const since = Math.min(Math.round(Math.max(until - input.seconds, epochOf(lease.createdAt))), until);
    const spans = readAttemptSpans(p, readLeaseTasks(p, observerFor(env)), since);
    const steps = gpuSteps(spans, { since, until });
    return { since, until, busy: fewerSteps(steps), lastChange: steps.times.at(-2) ?? since };
  },
});
