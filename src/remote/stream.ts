import type { ResultPromise } from "execa";
import type { OutputSink } from "./types.ts";

/** Passes a running process's output to `sink` as it comes, and resolves with how it ended. */
export async function pipeTo(subprocess: ResultPromise, sink: OutputSink) {
  subprocess.stdout?.setEncoding("utf8").on("data", (chunk: string) => sink.out(chunk));
  subprocess.stderr?.setEncoding("utf8").on("data", (chunk: string) => sink.err(chunk));
  return await subprocess;
}
