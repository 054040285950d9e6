import { appendFileSync, closeSync, mkdirSync, openSync } from "node:fs";
import { dirname } from "node:path";
import { ATTEMPT_TAG_VAR } from "../config/index.ts";
import {
  type Command,
  type LeasePaths,
  readTaskSecrets,
  type Task,
  type TaskSecrets,
  taskLogFile,
} from "../fsqueue/index.ts";
import { cwdProblem } from "./cwd.ts";
import { readProcStart } from "./proc.ts";
import { type ChildExit, spawnChild } from "./spawn-child.ts";

export type TaskEnd =
  | { kind: "exited"; exitCode: number | null; signal: string | null }
  /** `exitCode`: what a shell gives a command it cannot start (127, 126); null when rv got no further than its cwd. */
  | { kind: "spawn-failed"; reason: string; exitCode: number | null };

export interface Launched {
  /** Also the task's process group id; `undefined` when the spawn failed. */
  pid: number | undefined;
  /** /proc/PID/stat start time, so a recoverer can tell a reused pid apart. */
  procStart: number | undefined;
  startedAt: Date;
  /** performance.now() just before the spawn: how long ago the leader started, on a clock that does not step. */
  startedMs: number;
  end: Promise<TaskEnd>;
}

export interface LaunchRequest {
  paths: LeasePaths;
  task: Task;
  gpus: string[];
  /** The runner's environment; the task's own environment is laid over it. */
  env: NodeJS.ProcessEnv;
  /** The attempt's tag (tag.ts), which finds its processes that left its group. */
  tag: string;
  /** A directory put first on the task's PATH, before its own: the runner's scontrol shim (scontrol-shim.ts). */
  pathFirst?: string;
}

/** A shell task runs as `bash -c script`; everything else is the argv exactly as submitted. */
export function commandArgv(command: Command): [string, ...string[]] {
  if (command.kind === "shell") return ["bash", "-c", command.script];
  const [file = "", ...args] = command.argv;
  return [file, ...args];
}

/**
 * The runner's environment, the task's secrets (`rv env`) over it, its own `--env` over those (the most explicit
 * wins), then what rv decides: the task's GPUs, its identity, and RV_RESUME=1 only when rv interrupted the
 * previous attempt at a segment end (never inherited from elsewhere).
 */
export function taskEnv(
  base: NodeJS.ProcessEnv,
  task: Task,
  gpus: readonly string[],
  secrets: TaskSecrets = {},
): NodeJS.ProcessEnv {
  const { RV_RESUME: _inherited, ...env } = { ...base, ...secrets, ...task.env };
  return {
    ...env,
    CUDA_VISIBLE_DEVICES: gpus.join(","),
    CUDA_DEVICE_ORDER: "PCI_BUS_ID",
    RV_TASK_ID: task.id,
    RV_LEASE_ID: task.lease,
    RV_ATTEMPT: String(task.attempt),
    ...(task.resume && { RV_RESUME: "1" }),
    PYTHONUNBUFFERED: task.env.PYTHONUNBUFFERED ?? "1",
  };
}

function withPathFirst(env: NodeJS.ProcessEnv, dir: string | undefined): NodeJS.ProcessEnv {
  if (dir === undefined) return env;
  return { ...env, PATH: env.PATH ? `${dir}:${env.PATH}` : dir };
}

/**
 * Starts a task in its own process group (detached) and with its attempt's tag in its environment, stdin
 * closed, output to its attempt's log files.
 * Never throws for the task's sake: a spawn failure is an end with a reason, also written to the .err log.
 */
export function launchTask(req: LaunchRequest): Launched {
  const { paths, task } = req;
  const out = taskLogFile(paths, task.id, task.attempt, "out");
  const err = taskLogFile(paths, task.id, task.attempt, "err");
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  const startedAt = new Date();
  const startedMs = performance.now();
  const problem = cwdProblem(task.cwd);
  if (problem !== undefined) return spawnFailed(err, { reason: problem, exitCode: null }, startedAt);
  const [file, ...args] = commandArgv(task.command);
  // Read at every attempt's start (a requeued attempt needs them again); the file goes when the task ends.
  const secrets = readTaskSecrets(paths, task.id);
  const outFd = openSync(out, "a", 0o600);
  const errFd = openSync(err, "a", 0o600);
  try {
    // Not execa: a task's launch is the runner's per-task cost, and execa's option handling and result plumbing,
    // which a task writing to its own log files does not use, cost ~0.3 ms of it.
    const env = {
      ...withPathFirst(taskEnv(req.env, task, req.gpus, secrets), req.pathFirst),
      [ATTEMPT_TAG_VAR]: req.tag,
    };
    const child = spawnChild(file, args, { cwd: task.cwd, env, outFd, errFd });
    const pid = child.pid;
    const procStart = pid === undefined ? undefined : readProcStart(pid);
    return { pid, procStart, startedAt, startedMs, end: child.exit.then((exit) => taskEnd(exit, file, err)) };
  } catch (error) {
    // A file that cannot start (under Bun), or arguments spawn refuses outright (a NUL byte in the argv).
    const { code, message } = error as NodeJS.ErrnoException;
    return spawnFailed(err, spawnFailure(file, code, message), startedAt);
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
}

/** The attempt's end as the child's says it; one that never started is told in its .err log, numbered as bash does. */
function taskEnd(exit: ChildExit, file: string, errLog: string): TaskEnd {
  if (!("failure" in exit)) return { kind: "exited", ...exit };
  const failed = spawnFailure(file, exit.failure.code, exit.failure.message);
  appendFileSync(errLog, `rv: ${failed.reason}\n`, { mode: 0o600 });
  return { kind: "spawn-failed", ...failed };
}

function spawnFailed(errLog: string, failure: { reason: string; exitCode: number | null }, startedAt: Date): Launched {
  appendFileSync(errLog, `rv: ${failure.reason}\n`, { mode: 0o600 });
  const end: TaskEnd = { kind: "spawn-failed", ...failure };
  return { pid: undefined, procStart: undefined, startedAt, startedMs: performance.now(), end: Promise.resolve(end) };
}

/** A command that could not start, told and numbered as bash does: 127 when it is not there, 126 when it cannot run. */
export function spawnFailure(
  file: string,
  code: string | undefined,
  message: string | undefined,
): { reason: string; exitCode: 126 | 127 } {
  if (code === "ENOENT") return { reason: `${file}: command not found`, exitCode: 127 };
  if (code === "EACCES") return { reason: `${file}: permission denied`, exitCode: 126 };
  return { reason: `${file}: cannot execute: ${message ?? code ?? "unknown error"}`, exitCode: 126 };
}
