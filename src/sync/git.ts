import { execa } from "execa";

/** What code a task runs: the commit checked out where it was pushed from, and whether files differed from it. */
export interface CodeState {
  commit: string | null;
  dirty: boolean;
}

/** null outside a git work tree (or without git). */
export async function gitState(dir: string): Promise<CodeState | null> {
  const head = await execa("git", ["rev-parse", "--verify", "-q", "HEAD"], { cwd: dir, reject: false });
  if (head.failed && head.exitCode === undefined) return null;
  const inside = await execa("git", ["rev-parse", "--is-inside-work-tree"], { cwd: dir, reject: false });
  if (inside.stdout.trim() !== "true") return null;
  const status = await execa("git", ["status", "--porcelain", "--untracked-files=normal"], { cwd: dir, reject: false });
  return { commit: head.exitCode === 0 ? head.stdout.trim() : null, dirty: status.stdout.trim() !== "" };
}
