import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { waitFor } from "../helpers/wait.ts";

/** Node 20 cannot run TypeScript, so worker processes run on the Bun binary the project installs. */
const BUN = join(import.meta.dirname, "..", "..", "node_modules", ".bin", "bun");
const WORKER = join(import.meta.dirname, "fixtures", "queue-worker.ts");

export interface Worker {
  process: ResultPromise;
  ready: boolean;
}

/** Starts one worker process per argument list and resolves once all of them are loaded and waiting. */
export async function startWorkers(argLists: string[][]): Promise<Worker[]> {
  const workers = argLists.map((args) => {
    const worker: Worker = { process: execa(BUN, [WORKER, ...args], { stdin: "pipe", buffer: true }), ready: false };
    worker.process.stdout?.once("data", () => {
      worker.ready = true;
    });
    return worker;
  });
  await waitFor(() => workers.every((w) => w.ready), { what: "workers ready", timeoutMs: 30_000, intervalMs: 10 });
  return workers;
}

/** Releases every worker at once and returns each one's JSON result, in order. */
export async function goAll<T>(workers: Worker[]): Promise<T[]> {
  for (const w of workers) w.process.stdin?.write("go\n");
  const results = await Promise.all(workers.map((w) => w.process));
  return results.map((r) => {
    const lines = String(r.stdout).trim().split("\n");
    return JSON.parse(lines[lines.length - 1] ?? "null") as T;
  });
}

/**
 * Releases every worker at once and returns each one's JSON result once all have answered, all of them still
 * alive (a lock's taker must not exit before the others have looked); then closes their stdin and waits for them.
 */
export async function goAllAlive<T>(workers: Worker[]): Promise<T[]> {
  const answers = workers.map(() => "");
  workers.forEach((w, i) => {
    w.process.stdout?.on("data", (chunk) => {
      answers[i] += String(chunk);
    });
  });
  for (const w of workers) w.process.stdin?.write("go\n");
  await waitFor(() => answers.every((text) => text.endsWith("\n")), { what: "every worker's answer", intervalMs: 10 });
  for (const w of workers) w.process.stdin?.end();
  await Promise.all(workers.map((w) => w.process));
  return answers.map((text) => JSON.parse(text) as T);
}

/** Runs the given worker processes concurrently, released together, and returns their results. */
export async function race<T>(argLists: string[][]): Promise<T[]> {
  return goAll<T>(await startWorkers(argLists));
}

/** The pid of a process of this host that has exited: what a holder that died leaves in its lock. */
export async function deadPid(): Promise<number> {
  const child = execa(process.execPath, ["-e", ""]);
  await child;
  if (child.pid === undefined) throw new Error("the short-lived process got no pid");
  return child.pid;
}
