import { deferred } from "../deferred.ts";
import { leasePaths, writeNote } from "../fsqueue/index.ts";
import { z } from "../zod.ts";
import { defineOp } from "./op.ts";
import { TaskRefSchema, TaskSelectionSchema } from "./refs.ts";
import { oneSelected, viewOf } from "./select.ts";

/**
 * `rv note TASK [TEXT]`: sets a task's note (`""` clears it), or with no text says what it is. In any state: a
 * note is about the experiment, and finished tasks are the ones people annotate.
 */
export const noteOp = defineOp({
  name: "note",
  input: deferred(() => z.object({ select: TaskSelectionSchema, text: z.nullable(z.string()) })),
  result: deferred(() =>
    z.object({
      task: z.nullable(
        z.object({ id: z.string(), lease: z.string(), name: z.nullable(z.string()), note: z.nullable(z.string()) }),
      ),
      elsewhere: z.array(TaskRefSchema),
    }),
  ),
  run(env, input) {
    const { view, elsewhere } = oneSelected(env, input.select, 'rv note TASK "TEXT"');
    if (!view) return { task: null, elsewhere };
    if (input.text !== null) {
      writeNote(leasePaths(env.root, view.lease), view.id, input.text, { host: env.host, now: env.now() });
    }
    const now = input.text === null ? view : viewOf(env, { lease: view.lease, id: view.id });
    return { task: { id: now.id, lease: now.lease, name: now.name, note: now.note }, elsewhere };
  },
});
