import type { ResultPromise } from "execa";
import { RvError } from "../errors.ts";
import type { OutputSink } from "./types.ts";

/**
 * Writes `stdin` to a running process and keeps its standard input open until `hangUp` fires, passes its output
 * to `sink` as it comes, and resolves with how it ended.
 */
export async function pipeTo(subprocess: ResultPromise, stdin: string, sink: OutputSink, hangUp?: AbortSignal) {
  const input = subprocess.stdin;
  input?.on("error", () => {}); // EPIPE: it exited without reading everything, which its exit status tells
  input?.write(stdin);
  const close = () => input?.end();
  if (hangUp?.aborted) close();
  else hangUp?.addEventListener("abort", close, { once: true });
  subprocess.stdout?.setEncoding("utf8").on("data", (chunk: string) => sink.out(chunk));
  subprocess.stderr?.setEncoding("utf8").on("data", (chunk: string) => sink.err(chunk));
  try {
    return await subprocess;
  } finally {
    hangUp?.removeEventListener("abort", close);
  }
}

/** A streamed command the caller gave up on (`giveUp`): reported as a place out of reach, not as its failure. */
export function gaveUp(where: string): RvError {
  return new RvError("unreachable", `${where} did not answer in time`, {
    hint: "the cluster, its connection or its filesystem is slow now: try again, or rv doctor",
  });
}
