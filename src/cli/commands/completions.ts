import type { Command } from "commander";
import { candidateLines, completeNames } from "../completion/names.ts";
import { completionScript, parseShell } from "../completion/script.ts";
import type { NameKind } from "../completion/spec.ts";
import type { Context } from "../context.ts";
import type { Io } from "../io.ts";

/** `rv completions SHELL`: the completion script for the program as it is, on stdout. */
export async function runCompletions(ctx: Context, shell: string, program: Command): Promise<number> {
  ctx.io.out(completionScript(parseShell(shell), program));
  return 0;
}

/**
 * `rv __complete leases|tasks|clusters [PREFIX]` (hidden): what the scripts offer for a lease, a task or a cluster. It answers while
 * the person waits at the prompt, so it reads local files only, and it never prints an error: a completion that
 * fails offers nothing.
 */
export function runComplete(root: string, io: Io, kind: string, prefix: string): void {
  if (kind !== "leases" && kind !== "tasks" && kind !== "clusters") return;
  try {
    io.out(candidateLines(completeNames(root, kind satisfies NameKind, prefix)));
  } catch {
    // Nothing to offer.
  }
}
