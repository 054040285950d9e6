import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { afterEach, beforeEach, expect, test } from "vitest";
import {
  claimTask,
  ensureClaimDir,
  finishClaim,
  publishBatch,
  readTaskSecrets,
  recordFile,
  requeueClaim,
  secretsFile,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { makeTask, openLease } from "./factory.ts";

let home: ReturnType<typeof makeHome>;
beforeEach(() => {
  home = makeHome();
});
afterEach(() => home.cleanup());

const context = { host: "h", runner: "r1", now: new Date() };
const ended = {
  state: "succeeded" as const,
  exitCode: 0,
  signal: null,
  startedAt: null,
  endedAt: new Date().toISOString(),
  runner: "r1",
  host: "h",
  gpus: [],
};

test("a task's secrets file is 0600 in a 0700 directory, never replaced, and not in the task's record", () => {
  const p = openLease(home.root);
  const task = makeTask();
  expect(publishBatch(p, [task], { TOKEN: "s3cret" })).toBe(1);
  expect(publishBatch(p, [{ ...task, name: "another" }], { TOKEN: "other" })).toBe(0);
  expect(statSync(secretsFile(p, task.id)).mode & 0o777).toBe(0o600);
  expect(statSync(p.secrets).mode & 0o777).toBe(0o700);
  expect(readTaskSecrets(p, task.id)).toEqual({ TOKEN: "s3cret" });
  expect(readdirSync(p.tmp)).toEqual([]);
  expect(readFileSync(recordFile(p.inbox, task.id), "utf8")).not.toContain("s3cret");
});

test("the secrets stay while the task may run again (requeued) and go when it ends", () => {
  const p = openLease(home.root);
  const task = makeTask();
  publishBatch(p, [task], { TOKEN: "s3cret" });
  ensureClaimDir(p, "r1");
  const first = claimTask(p, "r1", task.id);
  if (first.kind !== "claimed") throw new Error("not claimed");
  requeueClaim(p, first.file, first.task, "interrupted", context);
  expect(readTaskSecrets(p, task.id)).toEqual({ TOKEN: "s3cret" });
  const second = claimTask(p, "r1", task.id);
  if (second.kind !== "claimed") throw new Error("not claimed");
  finishClaim(p, second.file, second.task, ended);
  expect(existsSync(secretsFile(p, task.id))).toBe(false);
  expect(readTaskSecrets(p, task.id)).toEqual({});
});
