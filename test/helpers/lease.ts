import { rv } from "./rv.ts";

/** Stops every runner of every lease under `root` and waits until they are gone. */
export async function releaseAll(root: string): Promise<void> {
  await rv(root, ["lease", "release", "--all", "--now", "--wait"]);
}

export function json<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout) as T;
}
