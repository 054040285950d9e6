import { readdirSync, readFileSync } from "node:fs";
import { execa, execaSync } from "execa";
import type { Usage } from "../fsqueue/index.ts";
import { groupExists } from "./proc.ts";
import {
  DEFAULT_PROC_UNITS,
  foldUsage,
  gpuBytesOf,
  type ProcSample,
  type ProcUnits,
  parseComputeApps,
  parseProcSample,
  sumGroups,
} from "./usage.ts";

/** How often the runner samples what its tasks use: often enough to see a short task, cheap at one scan. */
export const USAGE_SAMPLE_MS = 1000;

const NVIDIA_SMI_TIMEOUT_MS = 10_000;

/** What the sampler needs of a running attempt; it keeps the attempt's figures on it. */
export interface SampledAttempt {
  /** The leader's pid, which is also the id of the attempt's process group; undefined if it never started. */
  pid: number | undefined;
  gpus: readonly string[];
  usage?: Usage;
}

/**
 * Samples the process groups of the runner's attempts: one scan of /proc for all of them, and one nvidia-smi
 * call when any holds a GPU. Linux only (elsewhere there is no /proc, and no figures). Never throws: a task's
 * run matters more than its figures, so failures are logged and the sample skipped.
 */
export class UsageSampler {
  private units: ProcUnits | undefined;
  /** `absent` once nvidia-smi was not found: GPU memory is then not recorded, rather than recorded as 0. */
  private nvidiaSmi: "ask" | "absent" = "ask";
  private nvidiaSmiFailed = false;
  private sampling: Promise<void> | undefined;

  constructor(private readonly log: (line: string) => void) {}

  /** Samples `attempts()` every `ms`; the returned stop waits for a sample under way. */
  every(ms: number, attempts: () => Iterable<SampledAttempt>): () => Promise<void> {
    const timer = setInterval(() => {
      this.sampling ??= this.sample([...attempts()]).finally(() => {
        this.sampling = undefined;
      });
    }, ms);
    return async () => {
      clearInterval(timer);
      await this.sampling;
    };
  }

  /**
   * The last look at an attempt whose leader has exited, before its end is recorded: what is left of its group
   * (background children) still counts. A periodic sample under way is let finish first, so its figures are
   * not folded in after the end was recorded.
   */
  async final(attempt: SampledAttempt): Promise<void> {
    await this.sampling;
    // The leader is reaped already: with nothing left in its group, a scan of /proc would find nothing to add.
    if (attempt.pid === undefined || !groupExists(attempt.pid)) return;
    await this.sample([attempt], { gpu: false });
  }

  async sample(attempts: readonly SampledAttempt[], options = { gpu: true }): Promise<void> {
    if (process.platform !== "linux") return;
    try {
      const byGroup = new Map<number, SampledAttempt>();
      for (const attempt of attempts) if (attempt.pid !== undefined) byGroup.set(attempt.pid, attempt);
      if (byGroup.size === 0) return;
      const sums = sumGroups(scanProc(), new Set(byGroup.keys()), this.procUnits());
      const wantGpu = options.gpu && [...sums.keys()].some((pgid) => (byGroup.get(pgid)?.gpus.length ?? 0) > 0);
      const apps = wantGpu ? await this.computeApps() : undefined;
      for (const [pgid, sum] of sums) {
        const attempt = byGroup.get(pgid);
        if (!attempt) continue;
        const gpuBytes = apps && attempt.gpus.length > 0 ? gpuBytesOf(sum.pids, apps) : undefined;
        attempt.usage = foldUsage(attempt.usage, { ...sum, ...(gpuBytes !== undefined && { gpuBytes }) });
      }
    } catch (error) {
      this.log(`usage sample failed (figures skipped): ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private procUnits(): ProcUnits {
    this.units ??= readProcUnits(this.log);
    return this.units;
  }

  /** GPU memory by pid, or undefined when nvidia-smi is not there or did not answer. */
  private async computeApps(): Promise<Map<number, number> | undefined> {
    if (this.nvidiaSmi === "absent") return undefined;
    const result = await execa(
      "nvidia-smi",
      ["--query-compute-apps=pid,used_memory", "--format=csv,noheader,nounits"],
      { reject: false, timeout: NVIDIA_SMI_TIMEOUT_MS },
    );
    if (result.code === "ENOENT") {
      this.nvidiaSmi = "absent";
      this.log("nvidia-smi not found: tasks' GPU memory is not recorded");
      return undefined;
    }
    if (result.failed) {
      if (!this.nvidiaSmiFailed) this.log(`nvidia-smi failed, GPU memory not sampled: ${result.shortMessage}`);
      this.nvidiaSmiFailed = true;
      return undefined;
    }
    return parseComputeApps(String(result.stdout));
  }
}

/** Every process's figures, in one pass over /proc; a process that exits during the scan is skipped. */
function scanProc(): ProcSample[] {
  const samples: ProcSample[] = [];
  for (const name of readdirSync("/proc")) {
    const pid = Number(name);
    if (!Number.isInteger(pid)) continue;
    let text: string;
    try {
      text = readFileSync(`/proc/${name}/stat`, "utf8");
    } catch {
      continue;
    }
    const sample = parseProcSample(pid, text);
    if (sample) samples.push(sample);
  }
  return samples;
}

/** Read once per runner; nearly every Linux has 100 ticks a second, but pages are 64 KiB on some ARM nodes. */
function readProcUnits(log: (line: string) => void): ProcUnits {
  const ask = (name: string, fallback: number) => {
    try {
      const value = Number(execaSync("getconf", [name]).stdout);
      if (Number.isInteger(value) && value > 0) return value;
    } catch {
      // fall through to the usual value
    }
    log(`getconf ${name} did not answer: assuming ${fallback}`);
    return fallback;
  };
  return {
    ticksPerSecond: ask("CLK_TCK", DEFAULT_PROC_UNITS.ticksPerSecond),
    pageBytes: ask("PAGESIZE", DEFAULT_PROC_UNITS.pageBytes),
  };
}
