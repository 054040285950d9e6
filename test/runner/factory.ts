import { type Command, newTaskId, PROTOCOL_VERSION, type Task } from "../../src/fsqueue/index.ts";

let sequence = 0;

/**
 * A valid task record. Ids follow creation order even within one millisecond, so a list of tasks made
 * one after another is also their dispatch order.
 */
export function makeTask(lease: string, overrides: Partial<Task> = {}): Task {
  sequence += 1;
  return {
    v: PROTOCOL_VERSION,
    id: newTaskId(Date.now() + sequence * 1000),
    lease,
    command: { kind: "argv", argv: ["true"] },
    cwd: process.cwd(),
    env: {},
    gpus: 0,
    cpus: 1,
    strictOrder: false,
    attempt: 1,
    crashes: 0,
    maxCrashes: 3,
    submittedAt: new Date().toISOString(),
    submitHost: "test",
    tags: [],
    ...overrides,
  };
}

/** A task running `bash -c script`. */
export function shellTask(lease: string, script: string, overrides: Partial<Task> = {}): Task {
  const command: Command = { kind: "shell", script };
  return makeTask(lease, { command, ...overrides });
}
