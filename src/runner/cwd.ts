import { statSync } from "node:fs";

/**
 * Why a directory cannot be a working directory, or `undefined` when it can. Its own file: a submit checks its
 * tasks' directories without loading the runner's launching code (execute.ts) into its start-up.
 */
export function cwdProblem(cwd: string): string | undefined {
  try {
    return statSync(cwd).isDirectory() ? undefined : `working directory ${cwd} is not a directory`;
  } catch {
    return `working directory ${cwd} does not exist`;
  }
}
