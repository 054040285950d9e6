import { deferred } from "../deferred.ts";
import {
  type DoneSummary,
  doneCopy,
  leasePaths,
  readArchive,
  readPickedCopies,
  type Task,
  type TaskCopy,
  TaskSecretsSchema,
} from "../fsqueue/index.ts";
import { listLeases, readLeaseState, requireLease, type TaskView, TaskViewSchema } from "../lease/index.ts";
import { z } from "../zod.ts";
import { warnOfBadLease } from "./bad-leases.ts";
import { observerFor } from "./observer.ts";
import { defineOp, type OpEnv } from "./op.ts";
import { publishTasks } from "./publish.ts";
import { type TaskSpec, TaskSpecSchema, taskCwd } from "./taskspec.ts";

const PointRowSchema = deferred(() =>
  z.object({
    id: z.nullable(z.string()),
    name: z.nullable(z.string()),
    point: z.record(z.string(), z.string()),
  }),
);

/**
 * `rv sweep`: the points of a sweep, as task specs (each with its sweep id and point), submitted in one call. A
 * point whose identical task (the same command, working directory and `--env` values) already succeeded, or is
 * still pending or running, is skipped, unless `force`: a sweep submitted again resumes where it stopped.
 */
export const sweepOp = defineOp({
  name: "sweep",
  input: deferred(() =>
    z.object({
      lease: z.string(),
      sweep: z.string(),
      specs: z.array(TaskSpecSchema).check(z.minLength(1)),
      force: z._default(z.boolean(), false),
      dryRun: z._default(z.boolean(), false),
      /** A dry run's lease that is not there yet (the default one, which a submit would start): it has no tasks. */
      unstarted: z._default(z.boolean(), false),
      /** `rv env`'s secrets that apply: to each point's 0600 secrets file (publish.ts). */
      secrets: z._default(TaskSecretsSchema, {}),
    }),
  ),
  result: deferred(() =>
    z.object({
      lease: z.string(),
      sweep: z.string(),
      dryRun: z.boolean(),
      submitted: z.array(PointRowSchema),
      skipped: z.array(z.extend(PointRowSchema, { state: z.string() })),
      warnings: z.array(z.string()),
    }),
  ),
  async run(env, input) {
    const unstarted = input.dryRun && input.unstarted;
    if (!unstarted) requireLease(env.root, input.lease);
    const p = leasePaths(env.root, input.lease);
    // Points `rv clean` archived count too: a sweep submitted again after a clean still skips what succeeded.
    const archived = (): TaskCopy[] => readArchive(p).map((done) => doneCopy(done));
    const points = new Set(input.specs.map((spec) => pointKey(spec, taskCwd(spec, env.cwd))));
    const mayBeAPoint = (copy: TaskCopy<DoneSummary>) => isKept(copy) && points.has(taskKey(copy.task));
    const copies = input.force || unstarted ? [] : [...readPickedCopies(p, mayBeAPoint), ...archived()];
    const skipped = [];
    const toSubmit: TaskSpec[] = [];
    for (const spec of input.specs) {
      const same = copies.find((copy) => isKept(copy) && sameTask(spec, taskCwd(spec, env.cwd), copy.task));
      if (same) skipped.push({ ...rowOf(spec, same.task.id), state: stateOf(same) });
      else toSubmit.push(spec);
    }
    const base = { lease: input.lease, sweep: input.sweep, dryRun: input.dryRun, skipped };
    if (input.dryRun || toSubmit.length === 0) {
      return { ...base, submitted: toSubmit.map((spec) => rowOf(spec, null)), warnings: [] };
    }
    const counted = toSubmit.map((spec) => withPointCount(spec, input.specs.length));
    const { tasks, warnings } = await publishTasks(env, input.lease, counted, input.secrets);
    return { ...base, submitted: tasks.map((task, i) => rowOf(toSubmit[i] as TaskSpec, task.id)), warnings };
  },
});

/**
 * Each point records how many the sweep has (all of them, skipped ones included), so that a runner ending one
 * learns from the ended points alone whether the sweep may be over (notify's sweep-done), and reads the rest of
 * the queue only then.
 */
function withPointCount(spec: TaskSpec, points: number): TaskSpec {
  return spec.sweep ? { ...spec, sweep: { ...spec.sweep, points } } : spec;
}

/** What a sweep submitted again leaves alone: a task that succeeded, or that has yet to end. */
function isKept(copy: TaskCopy<DoneSummary>): boolean {
  return copy.state !== "done" || copy.done.state === "succeeded";
}

function stateOf(copy: TaskCopy): string {
  if (copy.state === "done") return copy.done.state;
  return copy.state === "claimed" ? "running" : "pending";
}

/** The same command in the same directory, with the same values of the variables the spec sets. */
function sameTask(spec: TaskSpec, cwd: string, task: Task): boolean {
  return pointKey(spec, cwd) === taskKey(task) && Object.entries(spec.env).every(([k, v]) => task.env[k] === v);
}

/** A command in a directory as one string: a point and a task with the same key run the same thing in the same place. */
function pointKey(spec: TaskSpec, cwd: string): string {
  return JSON.stringify([spec.argv ?? null, spec.shell ?? null, cwd]);
}

/** The task's command and directory as pointKey has them: what its index line tells of it. */
function taskKey({ command, cwd }: Pick<Task, "command" | "cwd">): string {
  return JSON.stringify(command.kind === "argv" ? [command.argv, null, cwd] : [null, command.script, cwd]);
}

function rowOf(spec: TaskSpec, id: string | null) {
  return { id, name: spec.name ?? null, point: spec.sweep?.point ?? {} };
}

/** Every task of a sweep in the leases of this place, in submit order. */
function sweepTasks(env: OpEnv): TaskView[] {
  const observer = observerFor(env);
  return listLeases(env.root, warnOfBadLease(env))
    .flatMap((lease) => readLeaseState(leasePaths(env.root, lease.id), observer).tasks)
    .filter((task) => task.sweep !== null)
    .sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * `rv sweep show [ID]`: every task of the sweep in the leases of this place, in submit order; without an id, of the
 * sweep whose newest point was submitted last (none when the place has no sweep).
 */
export const sweepShowOp = defineOp({
  name: "sweep-show",
  input: deferred(() => z.object({ sweep: z.optional(z.string()) })),
  result: deferred(() => z.object({ tasks: z.array(TaskViewSchema) })),
  run(env, input) {
    const tasks = sweepTasks(env);
    const sweep = input.sweep ?? sweepSummaries(tasks)[0]?.id;
    return { tasks: tasks.filter((task) => task.sweep?.id === sweep) };
  },
});

const SweepSummarySchema = deferred(() =>
  z.object({
    id: z.string(),
    /** The leases its points are in, by name. */
    leases: z.array(z.string()),
    points: z.int(),
    /** Its points by state, the states they are in only. */
    counts: z.record(z.string(), z.int()),
    firstSubmittedAt: z.string(),
    lastSubmittedAt: z.string(),
  }),
);
export type SweepSummary = z.infer<typeof SweepSummarySchema>;

/** `rv sweep ls`: the sweeps of this place's leases, the one submitted to last first. */
export const sweepListOp = defineOp({
  name: "sweep-list",
  input: deferred(() => z.object({})),
  result: deferred(() => z.object({ sweeps: z.array(SweepSummarySchema) })),
  run(env) {
    return { sweeps: sweepSummaries(sweepTasks(env)) };
  },
});

/** Tasks grouped by sweep, newest first: by when its last point was submitted (a sweep submitted again is new again). */
export function sweepSummaries(tasks: Pick<TaskView, "lease" | "state" | "submittedAt" | "sweep">[]): SweepSummary[] {
  const byId = new Map<string, SweepSummary>();
  for (const task of tasks) {
    if (!task.sweep) continue;
    const summary = byId.get(task.sweep.id) ?? {
      id: task.sweep.id,
      leases: [],
      points: 0,
      counts: {},
      firstSubmittedAt: task.submittedAt,
      lastSubmittedAt: task.submittedAt,
    };
    if (!summary.leases.includes(task.lease)) summary.leases.push(task.lease);
    summary.points++;
    summary.counts[task.state] = (summary.counts[task.state] ?? 0) + 1;
    if (task.submittedAt < summary.firstSubmittedAt) summary.firstSubmittedAt = task.submittedAt;
    if (task.submittedAt > summary.lastSubmittedAt) summary.lastSubmittedAt = task.submittedAt;
    byId.set(task.sweep.id, summary);
  }
  return [...byId.values()].map((summary) => ({ ...summary, leases: summary.leases.sort() })).sort(newestSweepFirst);
}

/** The sweep submitted to last first; by id between two submitted to at once. */
export function newestSweepFirst(a: SweepSummary, b: SweepSummary): number {
  return b.lastSubmittedAt.localeCompare(a.lastSubmittedAt) || a.id.localeCompare(b.id);
}
