/**
 * Throughput and latency of one runner (not part of `vitest run`):
 *   node_modules/.bin/bun test/runner/bench-throughput.ts [TASKS]
 * Runs TASKS `true` tasks on 2 CPUs, then one task published to an idle runner, and prints the times;
 * compare with `time parallel -j2 true ::: $(seq TASKS)`.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { publishTask, readDoneOne } from "../../src/fsqueue/index.ts";
import { runRunner } from "../../src/runner/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask } from "./factory.ts";
import { eventsOf, paths } from "./harness.ts";

const count = Number(process.argv[2] ?? 2000);
const home = makeHome("rv-bench-");
const lease = "bench";
const p = paths(home.root, lease);
const tasks = Array.from({ length: count }, () => makeTask(lease));
for (const task of tasks) publishTask(p, task);

const controller = new AbortController();
const begin = performance.now();
const exit = runRunner({
  root: home.root,
  lease,
  cpus: 2,
  segment: "local",
  heartbeatMs: 2000,
  staleAfterMs: 30_000,
  drainGraceMs: 1000,
  killGraceMs: 1000,
  env: { PATH: process.env.PATH },
  log: () => {},
  signal: controller.signal,
});
const last = tasks[tasks.length - 1];
await waitFor(() => last && readDoneOne(p, last.id), { timeoutMs: 600_000, intervalMs: 5 });
await waitFor(() => tasks.every((task) => readDoneOne(p, task.id)), { timeoutMs: 600_000 });
const elapsed = performance.now() - begin;
console.log(
  `${count} true tasks on 2 CPUs: ${(elapsed / 1000).toFixed(2)} s (${(elapsed / count).toFixed(2)} ms/task)`,
);

// Idle latency: let the poll back off fully, then publish one task and time publish -> started event.
const latencies: number[] = [];
for (let i = 0; i < 5; i++) {
  await new Promise((resolve) => setTimeout(resolve, 1500));
  const task = makeTask(lease);
  const t0 = Date.now();
  publishTask(p, task);
  await waitFor(() => existsSync(join(p.logs, task.id)), { intervalMs: 1 });
  const started = await waitFor(() => eventsOf(p, "started", task.id)[0]);
  latencies.push(Date.parse(started.time) - t0);
}
console.log(`idle dispatch latency (publish -> started), ms: ${latencies.join(", ")}`);
controller.abort();
await exit;
home.cleanup();
