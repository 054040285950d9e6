import { existsSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  CodeSchema,
  type LeasePaths,
  leasePaths,
  MaxRunningSchema,
  RetryPolicySchema,
  readLeaseEvents,
  readUnreadableDone,
  taskLogFile,
  UsageSchema,
} from "../fsqueue/index.ts";
import { readTaskCopy, type TaskView, TaskViewSchema } from "../lease/index.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { oneSelected } from "./select.ts";
import { currentUsage } from "./stats.ts";

const AttemptSchema = deferred(() =>
  z.object({
    attempt: z.int(),
    runner: z.nullable(z.string()),
    claimedAt: z.nullable(z.string()),
    startedAt: z.nullable(z.string()),
    endedAt: z.nullable(z.string()),
    /** How it ended, as its runner said: `succeeded`, `failed: exit code 1`, `attempt 1 ...: retry 1 of 2`. */
    outcome: z.nullable(z.string()),
    out: z.object({ file: z.string(), exists: z.boolean() }),
    err: z.object({ file: z.string(), exists: z.boolean() }),
    /** CPU time and peak memory as its runner last sampled them (`rv stats`); null where none was recorded. */
    usage: z.nullable(UsageSchema),
  }),
);

export const TaskDetailSchema = deferred(() =>
  z.object({
    view: TaskViewSchema,
    /** Names only: values may be secrets. */
    envNames: z.array(z.string()),
    retry: z.nullable(RetryPolicySchema),
    retried: z.int(),
    timeoutMs: z.nullable(z.int()),
    maxRunning: z.nullable(MaxRunningSchema),
    timeRequestMs: z.nullable(z.int()),
    checkpointSignal: z.nullable(z.string()),
    /** The task this one was made from (`rv rerun`). */
    rerunOf: z._default(z.nullable(z.string()), null),
    /** The code it runs (`--sync`). */
    code: z._default(z.nullable(CodeSchema), null),
    /** What `rv pull` brings back by default (`--outputs`). */
    outputs: z._default(z.array(z.string()), []),
    attempts: z.array(AttemptSchema),
  }),
);
export type TaskDetail = z.infer<typeof TaskDetailSchema>;

/**
 * `rv show TASK`: everything about one task where it lives: its record (command, cwd, the names of its
 * environment, what it asks for, its policies), its state, and each attempt from its runners' event logs, with
 * its log files.
 */
export const showOp = defineOp({
  name: "show",
  input: deferred(() => z.object({ select: TaskSelectionSchema })),
  result: deferred(() => z.object({ task: z.nullable(TaskDetailSchema), elsewhere: z.array(TaskRefSchema) })),
  run(env, input) {
    const { view, elsewhere } = oneSelected(env, input.select, "rv show TASK");
    if (!view) return { task: null, elsewhere };
    const p = leasePaths(env.root, view.lease);
    // An `unknown` task's only copy is a done record that cannot be read: what it still says of the task, if anything.
    const task = readTaskCopy(p, view.id)?.task ?? readUnreadableDone(p, view.id)?.task;
    if (!task && view.state !== "unknown") {
      throw new RvError("not_found", `task ${view.id} vanished while rv was looking at it`);
    }
    return {
      task: {
        view,
        envNames: Object.keys(task?.env ?? {}).sort(),
        retry: task?.retry ?? null,
        retried: task?.retried ?? 0,
        timeoutMs: task?.timeoutMs ?? null,
        maxRunning: task?.maxRunning ?? null,
        timeRequestMs: task?.timeRequestMs ?? null,
        checkpointSignal: task?.checkpointSignal ?? null,
        rerunOf: task?.rerunOf ?? null,
        code: task?.code ?? null,
        outputs: task?.outputs ?? [],
        attempts: attemptsOf(p, view),
      },
      elsewhere,
    };
  },
});

/** Each attempt of the task, 1 to its latest, from every runner's event log. */
function attemptsOf(p: LeasePaths, view: TaskView): z.infer<typeof AttemptSchema>[] {
  const { id, attempt: latest } = view;
  const current = currentUsage(p, view);
  const events = readLeaseEvents(p, { types: ["claimed", "started", "finished", "requeued"] })
    .filter((e) => e.task === id)
    .sort((a, b) => a.time.localeCompare(b.time));
  return Array.from({ length: latest }, (_, i) => {
    const attempt = i + 1;
    const mine = events.filter((e) => e.attempt === attempt);
    const at = (type: string) => mine.find((e) => e.type === type);
    const end = mine.filter((e) => e.type === "finished" || e.type === "requeued").at(-1);
    const file = (stream: "out" | "err") => {
      const path = taskLogFile(p, id, attempt, stream);
      return { file: path, exists: existsSync(path) };
    };
    return {
      attempt,
      runner: (at("claimed") ?? at("started"))?.runner ?? null,
      claimedAt: at("claimed")?.time ?? null,
      startedAt: at("started")?.time ?? null,
      endedAt: end?.time ?? null,
      outcome: end ? (end.type === "requeued" ? `requeued: ${end.detail ?? ""}` : (end.detail ?? "finished")) : null,
      out: file("out"),
      err: file("err"),
      usage: (attempt === latest ? current : undefined) ?? end?.usage ?? null,
    };
  });
}
