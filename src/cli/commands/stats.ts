import { RvError } from "../../errors.ts";
import type { Usage } from "../../fsqueue/index.ts";
import { statsOp, type TaskStats } from "../../ops/index.ts";
import type { Context } from "../context.ts";
import type { Io } from "../io.ts";
import { formatBytes, formatDuration, printJson, renderTable } from "../output.ts";
import { missingJson, onSelectedTasks, reportMissing } from "../route.ts";

export interface StatsOptions {
  lease?: string;
  tag?: string[];
}

/**
 * `rv stats [TASK...|--tag T|--lease L]`: elapsed, CPU time and peak memory of every attempt, where each task
 * lives; with nothing named, every task here and on the cluster (or of the lease).
 */
export async function runStats(ctx: Context, refs: string[], options: StatsOptions): Promise<number> {
  const tags = options.tag ?? [];
  if (refs.length > 0 && tags.length > 0) throw new RvError("usage", "name tasks or give --tag, not both");
  const selection = { refs, lease: options.lease ?? null, all: refs.length === 0 && tags.length === 0, tags };
  const { reached, missing } = await onSelectedTasks(ctx, selection, (place, select) =>
    place.call(statsOp, { select }),
  );
  const tasks = reached
    .flatMap(({ place, value }) => value.tasks.map((task) => ({ ...task, place: place.name })))
    .sort((a, b) => a.id.localeCompare(b.id));
  if (ctx.json) {
    printJson(ctx.io, { tasks, missing: missingJson(missing) });
    return 0;
  }
  reportMissing(ctx, missing, "tasks");
  ctx.io.out(renderStats(ctx.io, tasks, ctx.cluster !== null));
  if (ctx.io.isTTY && tasks.length === 0) ctx.io.err("no tasks\n");
  return 0;
}

/** One row per attempt; `where` adds the place each task lives, when there may be two. */
export function renderStats(io: Io, tasks: (TaskStats & { place: string })[], where: boolean): string {
  const rows = tasks.flatMap((task) =>
    task.attempts.map((a) => [
      task.id,
      ...(where ? [task.place] : []),
      task.name ?? "-",
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
  return renderTable(io, [...header, "peak mem", "gpu mem"], rows);
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
