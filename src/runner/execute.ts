import { appendFileSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { execa } from "execa";
import {
  type Command,
  type LeasePaths,
  readTaskSecrets,
  type Task,
  type TaskSecrets,
  taskLogFile,
} from "../fsqueue/index.ts";
import { readProcStart } from "./proc.ts";

export type TaskEnd =
  | { kind: "exited"; exitCode: number | null; signal: string | null }
  | { kind: "spawn-failed"; reason: string };

export interface Launched {
  /** Also the task's process group id; `undefined` when the spawn failed. */
  pid: number | undefined;
  /** /proc/PID/stat start time, so a recoverer can tell a reused pid apart. */
  procStart: number | undefined;
  startedAt: Date;
  end: Promise<TaskEnd>;
}

export interface LaunchRequest {
  paths: LeasePaths;
  task: Task;
  gpus: string[];
  /** The runner's environment; the task's own environment is laid over it. */
  env: NodeJS.ProcessEnv;
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

/** Why a directory cannot be a working directory, or `undefined` when it can. */
export function cwdProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
}

/**
 * Starts a task in its own process group (detached), stdin closed, output to its attempt's log files.
 * Never throws for the task's sake: a spawn failure is an end with a reason, also written to the .err log.
 */
export function launchTask(req: LaunchRequest): Launched {
  const { paths, task } = req;
  const out = taskLogFile(paths, task.id, task.attempt, "out");
  const err = taskLogFile(paths, task.id, task.attempt, "err");
  mkdirSync(dirname(out), { recursive: true, mode: 0o700 });
  const startedAt = new Date();
  const problem = cwdProblem(task.cwd);
  if (problem !== undefined) return spawnFailed(err, problem, startedAt);
  const [file, ...args] = commandArgv(task.command);
  // Read at every attempt's start (a requeued attempt needs them again); the file goes when the task ends.
  const secrets = readTaskSecrets(paths, task.id);
  const outFd = openSync(out, "a", 0o600);
  const errFd = openSync(err, "a", 0o600);
  try {
    const child = execa(file, args, {
      cwd: task.cwd,
      env: taskEnv(req.env, task, req.gpus, secrets),
      extendEnv: false,
      detached: true,
      cleanup: false,
      stdin: "ignore",
      stdout: inheritFd(outFd),
      stderr: inheritFd(errFd),
      reject: false,
      forceKillAfterDelay: false,
    });
    const pid = child.pid;
    const procStart = pid === undefined ? undefined : readProcStart(pid);
    const end = child.then((result): TaskEnd => {
      if (pid === undefined || (result.failed && result.exitCode === undefined && result.signal === undefined)) {
        const reason = spawnReason(file, result.code, result.originalMessage ?? result.shortMessage);
        appendFileSync(err, `rv: ${reason}\n`, { mode: 0o600 });
        return { kind: "spawn-failed", reason };
      }
      return { kind: "exited", exitCode: result.exitCode ?? null, signal: result.signal ?? null };
    });
    return { pid, procStart, startedAt, end };
  } finally {
    closeSync(outFd);
    closeSync(errFd);
  }
}

/**
 * The task writes straight into its log files (no pipe through the runner: output survives the runner, and
 * background children holding stdout do not keep the attempt open). execa passes any descriptor number to
 * the child at run time; its types only list 3-9.
 */
function inheritFd(fd: number): 3 {
  return fd as 3;
}

function spawnFailed(errLog: string, reason: string, startedAt: Date): Launched {
  appendFileSync(errLog, `rv: ${reason}\n`, { mode: 0o600 });
  return { pid: undefined, procStart: undefined, startedAt, end: Promise.resolve({ kind: "spawn-failed", reason }) };
}

export function spawnReason(file: string, code: string | undefined, message: string | undefined): string {
  if (code === "ENOENT") return `command not found: ${file}`;
  if (code === "EACCES") return `permission denied: ${file} is not executable`;
  return `could not start ${file}: ${message ?? code ?? "unknown error"}`;
}
