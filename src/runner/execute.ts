import { appendFileSync, closeSync, mkdirSync, openSync, statSync } from "node:fs";
import { dirname } from "node:path";
import { execa } from "execa";
import { ATTEMPT_TAG_VAR } from "../config/index.ts";
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
  /** `exitCode`: what a shell gives a command it cannot start (127, 126); null when rv got no further than its cwd. */
  | { kind: "spawn-failed"; reason: string; exitCode: number | null };

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

/** Why a directory cannot be a working directory, or `undefined` when it can. */
export function cwdProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
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
      env: { ...withPathFirst(taskEnv(req.env, task, req.gpus, secrets), req.pathFirst), [ATTEMPT_TAG_VAR]: req.tag },
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
        const failure = spawnFailure(file, result.code, result.originalMessage ?? result.shortMessage);
        appendFileSync(err, `rv: ${failure.reason}\n`, { mode: 0o600 });
        return { kind: "spawn-failed", ...failure };
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
  const end: TaskEnd = { kind: "spawn-failed", reason, exitCode: null };
  return { pid: undefined, procStart: undefined, startedAt, end: Promise.resolve(end) };
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
