import { RvError } from "../../errors.ts";
import type { Usage } from "../../fsqueue/index.ts";
import { statsOp, type TaskStats } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import { parseCount } from "../flags.ts";
import type { Io } from "../io.ts";
import { cut, formatBytes, formatDuration, noteOlderNotShown, printJson, renderTable } from "../output.ts";
import { missingJson, onSelectedTasks, reportMissing } from "../route.ts";

export interface StatsOptions {
  lease?: string;
  tag?: string[];
  n?: string;
}

/** Tasks shown when none is named, as `rv tasks` shows. */
const NEWEST = 20;

/**
 * `rv stats [TASK...|--tag T|--lease L] [-n N]`: elapsed, CPU time and peak memory of every attempt, where each task
 * lives; with nothing named, the newest 20 tasks here and on the cluster (or of the lease), with a tag every one of
 * its tasks; `-n` says how many (0: all).
 */
export async function runStats(ctx: Context, refs: string[], options: StatsOptions): Promise<number> {
  const tags = options.tag ?? [];
  if (refs.length > 0 && tags.length > 0) throw new RvError("usage", "name tasks or give --tag, not both");
  if (refs.length > 0 && options.n !== undefined) {
    throw new RvError("usage", "-n counts the newest of every task or of a tag's: the tasks named are all shown", {
      hint: "name the tasks, or give -n without them",
    });
  }
  const everyTask = refs.length === 0 && tags.length === 0;
  const limit = parseCount("-n", options.n, 0) ?? (everyTask ? NEWEST : 0);
  const selection = { refs, lease: options.lease ?? null, all: everyTask, tags };
  const { reached, missing } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(statsOp, { select, limit }),
  );
  const total = reached.reduce((sum, { value }) => sum + value.total, 0);
  const merged = reached
    .flatMap(({ place, value }) => value.tasks.map((task) => ({ ...task, place: place.name })))
    .sort((a, b) => a.id.localeCompare(b.id));
  // Each place gave the newest `limit` of its own: together, the newest `limit` of them all.
  const tasks = limit > 0 ? merged.slice(-limit) : merged;
  if (ctx.json) {
    printJson(ctx.io, { tasks, total, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "tasks");
  ctx.io.out(renderStats(ctx.io, tasks, ctx.cluster !== null));
  noteOlderNotShown(ctx.io, tasks.length, total, "-n 0 for all");
  return 0;
}

/** One row per attempt; `where` adds the place each task lives, when there may be two. */
export function renderStats(io: Io, tasks: (TaskStats & { place: string })[], where: boolean): string {
  const rows = tasks.flatMap((task) =>
    task.attempts.map((a) => [
      task.id,
      ...(where ? [task.place] : []),
      cut(task.name ?? "-"),
      String(a.attempt),
      a.state,
      a.elapsedMs === null ? "-" : formatDuration(a.elapsedMs),
      a.usage ? formatCpu(a.usage.cpuSeconds) : "-",
      cpuPercent(a.usage, a.elapsedMs),
      a.usage ? formatBytes(a.usage.peakRssBytes) : "-",
      a.usage?.gpuPeakBytes === undefined ? "-" : formatBytes(a.usage.gpuPeakBytes),
    ]),
  );
  const header = ["task", ...(where ? ["where"] : []), "name", "att", "state", "elapsed", "cpu", "cpu%"];
  return renderTable(io, [...header, "peak mem", "gpu mem"], rows, ["name"]);
}

/** CPU seconds to a tenth below a minute (a short task's figure matters), like elapsed times above. */
export function formatCpu(seconds: number): string {
  return seconds < 60 ? `${seconds.toFixed(1)}s` : formatDuration(seconds * 1000);
}

/** CPU time over elapsed time: 100% is one core kept busy, 400% four. */
export function cpuPercent(usage: Usage | null, elapsedMs: number | null): string {
  if (!usage || !elapsedMs) return "-";
  return `${Math.round((usage.cpuSeconds * 100_000) / elapsedMs)}%`;
}

/** One line for `rv show`: what an attempt used. */
export function usageText(usage: Usage, elapsedMs: number | null): string {
  const percent = cpuPercent(usage, elapsedMs);
  const parts = [`cpu ${formatCpu(usage.cpuSeconds)}${percent === "-" ? "" : ` (${percent})`}`];
  parts.push(`peak mem ${formatBytes(usage.peakRssBytes)}`);
  if (usage.gpuPeakBytes !== undefined) parts.push(`gpu mem ${formatBytes(usage.gpuPeakBytes)}`);
  return parts.join(", ");
}
