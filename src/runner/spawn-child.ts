import { spawn } from "node:child_process";

export interface ChildOptions {
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Descriptors the child writes its stdout and stderr to; stdin is closed. */
  outFd: number;
  errFd: number;
}

/** How a child ended: its exit code or the signal that killed it; or it never started (Node tells so only now). */
export type ChildExit = { exitCode: number | null; signal: string | null } | { failure: NodeJS.ErrnoException };

export interface StartedChild {
  /** Also its process group id (it leads a group of its own); undefined when it never started. */
  pid: number | undefined;
  exit: Promise<ChildExit>;
}

/** What rv uses of Bun's spawn (the standalone binary is Bun; rv has no Bun types). */
interface BunRuntime {
  spawn(
    argv: string[],
    options: {
      cwd: string;
      env: Record<string, string>;
      detached: boolean;
      stdio: ["ignore", number, number];
    },
  ): { pid: number; exited: Promise<number>; exitCode: number | null; signalCode: string | null };
}

/**
 * Starts `file` in a process group of its own. A file that cannot start (ENOENT, EACCES, ...) throws under Bun and
 * ends with a `failure` under Node, whose spawn tells so only after the call. Under Bun (the binary), Bun's own
 * spawn: its posix_spawn returns as soon as the child has started, where node:child_process in Bun holds the
 * runner's one thread ~0.7 ms a start (2,000 `true` in a row: 0.77 ms each against 1.4 ms), and a task's start is
 * the runner's cost per task. Under Node (`npx rv`, tests that run a runner in-process), node:child_process.
 */
export function spawnChild(file: string, args: readonly string[], options: ChildOptions): StartedChild {
  const bun = (globalThis as { Bun?: BunRuntime }).Bun;
  if (bun) {
    const child = bun.spawn([file, ...args], {
      cwd: options.cwd,
      env: definedOnly(options.env),
      detached: true,
      stdio: ["ignore", options.outFd, options.errFd],
    });
    const exit = child.exited.then(() => ({ exitCode: child.exitCode, signal: child.signalCode }));
    return { pid: child.pid, exit };
  }
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env,
    detached: true,
    stdio: ["ignore", options.outFd, options.errFd],
  });
  // The task writes straight into its log files (no pipe through the runner), so `close` follows the exit at
  // once; a child that could not start has an `error` first and then `close` too.
  const exit = new Promise<ChildExit>((resolve) => {
    let failure: NodeJS.ErrnoException = new Error(`${file}: cannot start`);
    child.once("error", (error) => {
      failure = error;
    });
    child.once("close", (exitCode: number | null, signal: NodeJS.Signals | null) =>
      resolve(child.pid === undefined ? { failure } : { exitCode, signal }),
    );
  });
  return { pid: child.pid, exit };
}

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value;
  return out;
}
