import { deferred } from "../deferred.ts";
import { TaskSecretsSchema } from "../fsqueue/index.ts";
import { TaskViewSchema } from "../lease/state.ts";
import { z } from "../zod.ts";
import { exitStatusOf } from "./exit-status.ts";
import { followTask, waitForTasks } from "./follow.ts";
import { defineOp } from "./op.ts";
import { publishTasks } from "./publish.ts";
import { TaskSpecSchema } from "./taskspec.ts";

/**
 * Task specs travel in the request body (stdin), so `--env` values never show in a process list; so do the
 * secrets (`rv env`) that apply, which go to each task's 0600 secrets file, never its record or the answer.
 */
const SubmitInputSchema = deferred(() =>
  z.object({
    lease: z.string(),
    specs: z.array(TaskSpecSchema).check(z.minLength(1)),
    secrets: z._default(TaskSecretsSchema, {}),
  }),
);

const SubmittedSchema = deferred(() => z.object({ id: z.string(), name: z.nullable(z.string()) }));

export const submitOp = defineOp({
  name: "submit",
  input: SubmitInputSchema,
  result: deferred(() =>
    z.object({ lease: z.string(), tasks: z.array(SubmittedSchema), warnings: z.array(z.string()) }),
  ),
  async run(env, input) {
    const { tasks, warnings } = await publishTasks(env, input.lease, input.specs, input.secrets);
    return { lease: input.lease, tasks: tasks.map((t) => ({ id: t.id, name: t.name ?? null })), warnings };
  },
});

/**
 * `rv run`, `rv submit --follow|--wait`: submits and stays with the tasks in one call. Each task's id goes out
 * first, then (following one task) its output as it is written; the answer is each task's last view, and the exit
 * status a shell would give. The caller hanging up stops the following, never the task.
 */
export const runOp = defineOp({
  name: "run",
  input: deferred(() => z.extend(SubmitInputSchema, { follow: z.boolean() })),
  result: deferred(() =>
    z.object({
      lease: z.string(),
      tasks: z.array(z.nullable(TaskViewSchema)),
      warnings: z.array(z.string()),
      stopped: z.boolean(),
      /** Tasks that can never start where they are, and why: waiting for them ended. */
      cannotStart: z.array(z.object({ id: z.string(), why: z.string() })),
      exitStatus: z.int(),
    }),
  ),
  async run(env, input) {
    const { tasks, warnings } = await publishTasks(env, input.lease, input.specs, input.secrets);
    for (const task of tasks) env.sink.out(`${task.id}\n`);
    for (const warning of warnings) env.sink.note(`warning: ${warning}`);
    const refs = tasks.map((task) => ({ lease: input.lease, id: task.id }));
    const [first] = refs;
    const { views, cannotStart } =
      input.follow && first && refs.length === 1
        ? await followTask(env, first, { streams: ["out", "err"], from: "start" })
        : await waitForTasks(env, refs);
    return {
      lease: input.lease,
      tasks: views.map((v) => v ?? null),
      warnings,
      stopped: env.signal.aborted,
      cannotStart,
      exitStatus: Math.max(...views.map(exitStatusOf)),
    };
  },
});
