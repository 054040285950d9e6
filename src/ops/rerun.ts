import { LabelSchema } from "../config/index.ts";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { type LeasePaths, leasePaths, newTaskIds, readTaskNames, type Task } from "../fsqueue/index.ts";
import { readTaskCopy } from "../lease/index.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";
import { publishMade } from "./publish.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { oneSelected } from "./select.ts";

/** What `rv rerun` changes of the old task: environment variables set or replaced, and a new command. */
export interface RerunChanges {
  env: Record<string, string>;
  argv: string[] | null;
  name?: string | undefined;
}

/** `train` -> `train-rerun`, then `train-rerun2`, ...: the first not taken, so the old name still means the old task. */
export function rerunName(name: string, taken: ReadonlySet<string>): string {
  const base = `${name.replace(/-rerun\d*$/, "")}-rerun`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}${n}`;
    if (!taken.has(candidate)) return candidate;
  }
}

/**
 * A new task from an old one: what it asked for, tags, note, dependencies and sweep point, with the changes; a first attempt of its own (nothing of the old one's attempts, retries or backoff carries over).
 */
export function rerunTask(old: Task, changes: RerunChanges, made: { id: string; now: Date; host: string }): Task {
  const { requeueReason: _r, resume: _s, notBefore: _n, retried: _t, ...kept } = old;
  return {
    ...kept,
    id: made.id,
    attempt: 1,
    crashes: 0,
    submittedAt: made.now.toISOString(),
    submitHost: made.host,
    env: { ...old.env, ...changes.env },
    command: changes.argv ? { kind: "argv", argv: changes.argv } : old.command,
    ...(changes.name !== undefined && { name: changes.name }),
    rerunOf: old.id,
  };
}

function namesIn(p: LeasePaths): Set<string> {
  return new Set(Array.from(readTaskNames(p)).flatMap((task) => task.name ?? []));
}

/** `rv rerun TASK [--env K=V] [-- ARGV]`: a new task in the old one's lease, whatever state the old one is in. */
export const rerunOp = defineOp({
  name: "rerun",
  input: deferred(() =>
    z.object({
      select: TaskSelectionSchema,
      env: z._default(z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)), z.string()), {}),
      argv: z._default(z.nullable(z.array(z.string()).check(z.minLength(1))), null),
      name: z._default(z.nullable(LabelSchema), null),
    }),
  ),
  result: deferred(() =>
    z.object({
      task: z.nullable(z.object({ id: z.string(), lease: z.string(), name: z.nullable(z.string()), from: z.string() })),
      warnings: z.array(z.string()),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  async run(env, input) {
    const { view, elsewhere } = oneSelected(env, input.select, "rv rerun TASK [--env K=V] [-- ARGV]");
    if (!view) return { task: null, warnings: [], elsewhere };
    const p = leasePaths(env.root, view.lease);
    const old = readTaskCopy(p, view.id)?.task;
    if (!old) throw new RvError("not_found", `task ${view.id} vanished while rv was looking at it`);
    const now = env.now();
    const [id = ""] = newTaskIds(1, now.getTime());
    const name = input.name ?? (old.name === undefined ? undefined : rerunName(old.name, namesIn(p)));
    const made = rerunTask(old, { env: input.env, argv: input.argv, name }, { id, now, host: env.host });
    const { tasks, warnings } = await publishMade(env, view.lease, [made]);
    const task = tasks[0] ?? made;
    return { task: { id: task.id, lease: view.lease, name: task.name ?? null, from: old.id }, warnings, elsewhere };
  },
});
