import { readFileSync } from "node:fs";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import { z } from "../zod.ts";
import { unlinkIfPresent } from "./finish.ts";
import { type LeasePaths, secretsFile } from "./paths.ts";

/**
 * A task's secret environment: names to values. Never part of the task record, its events or its logs. Written by
 * the submitter with the task (publishBatch), before it: a runner that claims the task finds them.
 */
export const TaskSecretsSchema = deferred(() =>
  z.record(z.string().check(z.regex(/^[A-Za-z_][A-Za-z0-9_]*$/)), z.string()),
);
export type TaskSecrets = z.infer<typeof TaskSecretsSchema>;

/** The task's secrets, or none when it has no file (submitted without any, or already ended). */
export function readTaskSecrets(p: LeasePaths, taskId: string): TaskSecrets {
  let text: string;
  try {
    text = readFileSync(secretsFile(p, taskId), "utf8");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return {};
    throw error;
  }
  try {
    return TaskSecretsSchema.parse(JSON.parse(text));
  } catch {
    // The message never quotes the file: it holds secrets.
    throw new RvError("bad_record", `the secrets file of task ${taskId} is damaged`, {
      hint: "submit the task again (rv rerun) so that rv writes it afresh",
    });
  }
}

/** Kept while the task may run again (a requeued attempt needs them); gone once it has ended. */
export function removeTaskSecrets(p: LeasePaths, taskId: string): void {
  unlinkIfPresent(secretsFile(p, taskId));
}
