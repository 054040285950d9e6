import {
  doneRecord,
  ensureLeaseDirs,
  type Heartbeat,
  type LeasePaths,
  leasePaths,
  newTaskId,
  type Outcome,
  PROTOCOL_VERSION,
  publishTask,
  type Task,
  taskKey,
} from "../../src/fsqueue/index.ts";

export const LEASE = "l1";
const BASE_MS = Date.parse("2025-01-01T00:00:00Z");
let sequence = 0;

/** A lease's directories under a test's RV_HOME. */
export function openLease(root: string, lease = LEASE): LeasePaths {
  const p = leasePaths(root, lease);
  ensureLeaseDirs(p);
  return p;
}

/** A valid v1 task; ids grow with each call, so keys sort in creation order. */
export function makeTask(overrides: Partial<Task> = {}): Task {
  sequence++;
  return {
    v: PROTOCOL_VERSION,
    id: newTaskId(BASE_MS + sequence),
    lease: LEASE,
    command: { kind: "argv", argv: ["python", "train.py", `--seed=${sequence}`] },
    cwd: "/home/u/project",
    env: {},
    gpus: 0,
    cpus: 1,
    strictOrder: false,
    attempt: 1,
    crashes: 0,
    maxCrashes: 3,
    submittedAt: new Date(BASE_MS + sequence).toISOString(),
    submitHost: "laptop",
    tags: [],
    ...overrides,
  };
}

export function makeOutcome(overrides: Partial<Outcome> = {}): Outcome {
  return {
    state: "succeeded",
    exitCode: 0,
    signal: null,
    startedAt: "2025-01-01T00:01:00.000Z",
    endedAt: "2025-01-01T00:02:00.000Z",
    runner: "node1-100-abcdef",
    host: "node1",
    gpus: [],
    ...overrides,
  };
}

export const makeDone = (task: Task, overrides: Partial<Outcome> = {}) => doneRecord(task, makeOutcome(overrides));

export function makeHeartbeat(overrides: Partial<Heartbeat> = {}): Heartbeat {
  return {
    v: PROTOCOL_VERSION,
    runner: "node1-100-abcdef",
    lease: LEASE,
    host: "node1",
    pid: 100,
    segment: "0",
    counter: 0,
    time: "2025-01-01T00:00:00.000Z",
    startedAt: "2025-01-01T00:00:00.000Z",
    state: "running",
    running: [],
    gpus: [],
    freeGpus: [],
    cpus: 4,
    freeCpus: 4,
    ...overrides,
  };
}

/** Publishes a task that must be new, and returns its key. */
export function publish(p: LeasePaths, task: Task): string {
  if (publishTask(p, task) !== "published") throw new Error(`task ${task.id} is already in the inbox`);
  return taskKey(task);
}
