import type { Usage } from "../fsqueue/index.ts";

/**
 * The pure part of measuring what an attempt uses: parse `/proc/PID/stat`, sum a process group, keep the peaks.
 * The runner's sampler (sampler.ts) reads the files and calls nvidia-smi; everything it decides is here.
 */

/** What one process adds to its group's figures. */
export interface ProcSample {
  pid: number;
  pgrp: number;
  /** utime + stime + cutime + cstime in clock ticks: its own CPU time and that of the children it has reaped. */
  cpuTicks: number;
  /** Resident set size, in pages. */
  rssPages: number;
}

/** The kernel's units (`getconf CLK_TCK`, `getconf PAGESIZE`). */
export interface ProcUnits {
  ticksPerSecond: number;
  pageBytes: number;
}

export const DEFAULT_PROC_UNITS: ProcUnits = { ticksPerSecond: 100, pageBytes: 4096 };

/**
 * The fields of a `/proc/PID/stat` line after `(comm)`: index 0 is field 3 (state) of proc(5). comm may hold
 * spaces and parentheses, so the split starts after the last `)`.
 */
export function statFields(text: string): string[] {
  return text
    .slice(text.lastIndexOf(")") + 2)
    .trimEnd()
    .split(" ");
}

/** proc(5) field numbers, as indexes into `statFields`. */
const PGRP = 5 - 3;
const UTIME = 14 - 3;
const RSS = 24 - 3;

export function parseProcSample(pid: number, text: string): ProcSample | undefined {
  const fields = statFields(text);
  const numbers = [PGRP, UTIME, UTIME + 1, UTIME + 2, UTIME + 3, RSS].map((i) => Number(fields[i]));
  if (numbers.some((n) => !Number.isInteger(n))) return undefined;
  const [pgrp = 0, utime = 0, stime = 0, cutime = 0, cstime = 0, rssPages = 0] = numbers;
  return { pid, pgrp, cpuTicks: utime + stime + cutime + cstime, rssPages: Math.max(0, rssPages) };
}

/** One group's figures at one instant, and the pids it had (to find its processes in nvidia-smi's list). */
export interface GroupSample {
  cpuSeconds: number;
  rssBytes: number;
  pids: number[];
}

/**
 * Sums the processes of each group in `groups` from one scan of every process. A group with no process left
 * is absent: there is nothing to sample, not zero use.
 */
export function sumGroups(
  procs: readonly ProcSample[],
  groups: ReadonlySet<number>,
  units: ProcUnits,
): Map<number, GroupSample> {
  const ticks = new Map<number, { cpuTicks: number; rssPages: number; pids: number[] }>();
  for (const proc of procs) {
    if (!groups.has(proc.pgrp)) continue;
    const sum = ticks.get(proc.pgrp) ?? { cpuTicks: 0, rssPages: 0, pids: [] };
    sum.cpuTicks += proc.cpuTicks;
    sum.rssPages += proc.rssPages;
    sum.pids.push(proc.pid);
    ticks.set(proc.pgrp, sum);
  }
  const sums = new Map<number, GroupSample>();
  for (const [pgrp, sum] of ticks) {
    sums.set(pgrp, {
      cpuSeconds: sum.cpuTicks / units.ticksPerSecond,
      rssBytes: sum.rssPages * units.pageBytes,
      pids: sum.pids,
    });
  }
  return sums;
}

/**
 * `nvidia-smi --query-compute-apps=pid,used_memory --format=csv,noheader,nounits`: `PID, MiB` a line, bytes by
 * pid (summed over GPUs: one process may use several). Lines without a number (`[N/A]`, some MIG setups) are
 * skipped.
 */
export function parseComputeApps(stdout: string): Map<number, number> {
  const apps = new Map<number, number>();
  for (const line of stdout.split("\n")) {
    const [pidText = "", mibText = ""] = line.split(",").map((part) => part.trim());
    const pid = Number(pidText);
    const mib = Number(mibText);
    if (pidText === "" || mibText === "" || !Number.isInteger(pid) || !Number.isFinite(mib)) continue;
    apps.set(pid, (apps.get(pid) ?? 0) + Math.round(mib * 1024 * 1024));
  }
  return apps;
}

/** GPU memory used by a group's processes, from nvidia-smi's list. */
export function gpuBytesOf(pids: readonly number[], apps: ReadonlyMap<number, number>): number {
  return pids.reduce((sum, pid) => sum + (apps.get(pid) ?? 0), 0);
}

/**
 * Folds one sample into the attempt's figures. CPU keeps the largest group total seen: the total only drops
 * when a member's time leaves the group (the leader reaped by the runner, an orphan reaped by init), so the
 * largest figure is the closest to the truth. Memory keeps its peaks. GPU memory stays absent until a sample
 * had nvidia-smi's answer.
 */
export function foldUsage(
  usage: Usage | undefined,
  sample: { cpuSeconds: number; rssBytes: number; gpuBytes?: number },
): Usage {
  const gpuPeak =
    sample.gpuBytes === undefined ? usage?.gpuPeakBytes : Math.max(usage?.gpuPeakBytes ?? 0, sample.gpuBytes);
  return {
    cpuSeconds: Math.max(usage?.cpuSeconds ?? 0, Math.round(sample.cpuSeconds * 100) / 100),
    peakRssBytes: Math.max(usage?.peakRssBytes ?? 0, sample.rssBytes),
    ...(gpuPeak !== undefined && { gpuPeakBytes: gpuPeak }),
    samples: (usage?.samples ?? 0) + 1,
  };
}
