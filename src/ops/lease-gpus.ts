import { z } from "zod";
import { leasePaths, type RvEvent, readLeaseEvents } from "../fsqueue/index.ts";
import { readLeaseTasks, requireLease, type TaskView } from "../lease/index.ts";
import { observerFor } from "./observer.ts";
import { defineOp } from "./op.ts";

/** A stretch of time some GPUs were busy (or held), in epoch seconds; `to` null: until now. */
export interface GpuSpan {
  from: number;
  to: number | null;
  gpus: number;
}

/** GPUs over time as steps: from times[i] on there were values[i], until times[i + 1]; the last time is now. */
export const GpuStepsSchema = z.object({ times: z.array(z.number()), values: z.array(z.number()) });
export type GpuSteps = z.infer<typeof GpuStepsSchema>;

/** The most steps a history is given: more changes than this are averaged over as many equal stretches. */
export const GPU_STEPS_MAX = 1000;

/**
 * How many GPUs the spans add up to over [since, until], as steps: each change, or, past `max` changes, the mean
 * over each of `max` equal stretches (a day of short tasks charts as how busy each stretch was, not as 100,000
 * spikes). A span's GPUs count from its start to its end, clipped to the window, both to the nearest second.
 */
export function gpuSteps(spans: GpuSpan[], window: { since: number; until: number; max?: number }): GpuSteps {
  const { since, until, max = GPU_STEPS_MAX } = window;
  const changes = new Map<number, number>();
  for (const span of spans) {
    const from = Math.max(Math.round(span.from), since);
    const to = Math.min(Math.round(span.to ?? until), until);
    if (to <= from || span.gpus === 0) continue;
    changes.set(from, (changes.get(from) ?? 0) + span.gpus);
    changes.set(to, (changes.get(to) ?? 0) - span.gpus);
  }
  const times = [since];
  const values = [0];
  let value = 0;
  for (const time of [...changes.keys()].sort((a, b) => a - b)) {
    value += changes.get(time) ?? 0;
    if (time === since) values[0] = value;
    else if (time < until) {
      times.push(time);
      values.push(value);
    }
  }
  times.push(until);
  values.push(values.at(-1) ?? 0);
  return times.length - 1 > max ? averaged({ times, values }, since, until, max) : { times, values };
}

/** The steps' mean over each of `count` equal stretches of [since, until] (the last point: until, as before). */
function averaged(steps: GpuSteps, since: number, until: number, count: number): GpuSteps {
  const width = (until - since) / count;
  const times: number[] = [];
  const values: number[] = [];
  let i = 0;
  for (let bucket = 0; bucket < count; bucket++) {
    const start = since + bucket * width;
    const end = bucket === count - 1 ? until : start + width;
    let area = 0;
    // Steps overlapping [start, end): the one in force at start, and each that begins before end.
    while (i + 1 < steps.times.length && (steps.times[i + 1] ?? until) <= start) i++;
    for (let j = i; j < steps.times.length - 1 && (steps.times[j] ?? until) < end; j++) {
      const from = Math.max(steps.times[j] ?? start, start);
      const to = Math.min(steps.times[j + 1] ?? end, end);
      area += Math.max(0, to - from) * (steps.values[j] ?? 0);
    }
    times.push(start);
    values.push(Math.round((area / (end - start)) * 100) / 100);
  }
  times.push(until);
  values.push(values.at(-1) ?? 0);
  return { times, values };
}

/** The events that start and end attempts: all attemptSpans reads. */
const ATTEMPT_EVENTS = ["started", "finished", "requeued", "recovered"] as const;

type TaskGpus = Pick<TaskView, "id" | "gpus" | "state" | "attempt" | "startedAt">;

/**
 * When each attempt of the tasks that ask for GPUs ran, from its runner's events: `started`, then `finished` or
 * `requeued` (a requeued attempt held its GPUs too: a segment's end, a retry), or `recovered` by another runner
 * when its own died. An attempt without its start among the events started before them (`since`); one without its
 * end runs still when its task runs in it now, else it ended when its runner was last heard of.
 */
export function attemptSpans(events: RvEvent[], tasks: Iterable<TaskGpus>, since: number): GpuSpan[] {
  const byId = new Map<string, TaskGpus>();
  for (const task of tasks) if (task.gpus > 0) byId.set(task.id, task);
  const epoch = (time: string) => Date.parse(time) / 1000;
  // By task and attempt. Each runner's log is in time order, but an attempt may end in another's (a claim taken
  // over, a recovery): starts are gathered first, then matched with the ends, in no particular order.
  const open = new Map<string, { from: number; runner: string; task: TaskGpus; attempt: number }>();
  const ends: { key: string; at: number; task: TaskGpus }[] = [];
  const recoveries: { at: number; task: TaskGpus }[] = [];
  const lastHeard = new Map<string, number>();
  for (const event of events) {
    const at = epoch(event.time);
    if (at > (lastHeard.get(event.runner) ?? Number.NEGATIVE_INFINITY)) lastHeard.set(event.runner, at);
    const task = event.task === undefined ? undefined : byId.get(event.task);
    if (!task) continue;
    const key = `${task.id}/${event.attempt}`;
    if (event.type === "started" && event.attempt !== undefined) {
      open.set(key, { from: at, runner: event.runner, task, attempt: event.attempt });
    } else if ((event.type === "finished" || event.type === "requeued") && event.attempt !== undefined) {
      ends.push({ key, at, task });
    } else if (event.type === "recovered") {
      recoveries.push({ at, task });
    }
  }
  const spans: GpuSpan[] = [];
  const seen = new Set([...open.keys(), ...ends.map((end) => end.key)]);
  for (const { key, at, task } of ends) {
    spans.push({ from: open.get(key)?.from ?? since, to: at, gpus: task.gpus });
    open.delete(key);
  }
  for (const { at, task } of recoveries) {
    for (const [key, attempt] of open) {
      if (attempt.task !== task || attempt.from > at) continue;
      spans.push({ from: attempt.from, to: at, gpus: task.gpus });
      open.delete(key);
    }
  }
  for (const { from, runner, task, attempt } of open.values()) {
    const runs = task.state === "running" && task.attempt === attempt;
    spans.push({ from, to: runs ? null : (lastHeard.get(runner) ?? from), gpus: task.gpus });
  }
  // Running since before the events read: its start is the task's.
  for (const task of byId.values()) {
    if (task.state !== "running" || !task.startedAt || seen.has(`${task.id}/${task.attempt}`)) continue;
    spans.push({ from: epoch(task.startedAt), to: null, gpus: task.gpus });
  }
  return spans;
}

export const LeaseGpusSchema = z.object({
  since: z.number(),
  until: z.number(),
  /** GPUs the lease's tasks held, over time. */
  busy: GpuStepsSchema,
});
export type LeaseGpus = z.infer<typeof LeaseGpusSchema>;

/**
 * `rv ui`'s lease page: how many GPUs the lease's tasks held from `since` (epoch seconds; the lease's start if
 * later) to now, from each attempt's start and end in its runners' events. Only the events since then are read
 * (each log from its end), and the answer is GPU_STEPS_MAX steps at most, however long the history.
 */
export const leaseGpusOp = defineOp({
  name: "lease-gpus",
  input: z.object({ lease: z.string(), since: z.number() }),
  result: LeaseGpusSchema,
  run(env, input) {
    const lease = requireLease(env.root, input.lease);
    const p = leasePaths(env.root, input.lease);
    const until = Math.round(env.now().getTime() / 1000);
    const since = Math.min(Math.round(Math.max(input.since, Date.parse(lease.createdAt) / 1000)), until);
    const events = readLeaseEvents(p, { sinceMs: since * 1000, types: ATTEMPT_EVENTS });
    const spans = attemptSpans(events, readLeaseTasks(p, observerFor(env)), since);
    return { since, until, busy: gpuSteps(spans, { since, until }) };
  },
});
