import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import writeFileAtomic from "write-file-atomic";
import { deferred } from "../deferred.ts";
import { z } from "../zod.ts";

/** `$RV_HOME/sync.json`: each project's last push, by its directory here, for `rv sync status`. */
const PushSchema = deferred(() =>
  z.object({
    cluster: z.string(),
    remote: z.string(),
    at: z.string(),
    files: z.int(),
    commit: z.nullable(z.string()),
    dirty: z.boolean(),
  }),
);
const RecordSchema = deferred(() => z.object({ v: z.literal(1), pushes: z.record(z.string(), PushSchema) }));
export type Push = z.infer<typeof PushSchema>;

const fileOf = (root: string) => join(root, "sync.json");

export function readPushes(root: string): Record<string, Push> {
  try {
    const parsed = RecordSchema.safeParse(JSON.parse(readFileSync(fileOf(root), "utf8")));
    return parsed.success ? parsed.data.pushes : {};
  } catch {
    return {}; // none yet, or unreadable: the record is a convenience, a push never depends on it
  }
}

export function recordPush(root: string, localDir: string, push: Push): void {
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const pushes = { ...readPushes(root), [localDir]: push };
  writeFileAtomic.sync(fileOf(root), `${JSON.stringify({ v: 1, pushes }, null, 2)}\n`, { mode: 0o600 });
}
