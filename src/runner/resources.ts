import { availableParallelism } from "node:os";
import { execa } from "execa";

/** Where the runner's GPU list came from, for its log and heartbeat. */
export type GpuSource =
  | "override"
  | "CUDA_VISIBLE_DEVICES"
  | "SLURM_JOB_GPUS"
  | "SLURM_STEP_GPUS"
  | "nvidia-smi"
  | "none";

export interface Gpus {
  ids: string[];
  source: GpuSource;
}

/**
 * `CUDA_VISIBLE_DEVICES`: indexes or UUIDs separated by commas. Like CUDA, the list ends at the first
 * invalid entry (`-1` hides every device; Slurm writes `NoDevFiles` when the job has no GPUs).
 */
export function parseCudaVisibleDevices(value: string): string[] {
  const ids: string[] = [];
  for (const raw of value.split(",")) {
    const id = raw.trim();
    if (id === "") continue;
    if (id.startsWith("-") || id === "NoDevFiles") break;
    ids.push(id);
  }
  return ids;
}

/** `SLURM_JOB_GPUS` / `SLURM_STEP_GPUS`: GPU indexes such as `0,1` or, on some sites, ranges `0-3,6`. */
export function parseSlurmGpus(value: string): string[] {
  const ids: string[] = [];
  for (const raw of value.split(",")) {
    const part = raw.trim();
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (range) {
      for (let i = Number(range[1]); i <= Number(range[2]); i++) ids.push(String(i));
    } else if (/^\d+$/.test(part)) {
      ids.push(part);
    }
  }
  return ids;
}

/** `nvidia-smi -L`: `GPU 0: NVIDIA A100 (UUID: GPU-...)` per device; MIG lines below a GPU are ignored. */
export function parseNvidiaSmiList(stdout: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split("\n")) {
    const match = /^GPU (\d+):/.exec(line.trim());
    if (match?.[1] !== undefined) ids.push(match[1]);
  }
  return ids;
}

/** The pure decision: override, else the environment in order of precedence; `undefined` means "ask nvidia-smi". */
export function gpusFromEnv(env: NodeJS.ProcessEnv, override?: string[]): Gpus | undefined {
  if (override !== undefined) return { ids: override, source: "override" };
  // Set (even empty) is authoritative: it is what CUDA programs started here will see.
  if (env.CUDA_VISIBLE_DEVICES !== undefined) {
    return { ids: parseCudaVisibleDevices(env.CUDA_VISIBLE_DEVICES), source: "CUDA_VISIBLE_DEVICES" };
  }
  for (const name of ["SLURM_JOB_GPUS", "SLURM_STEP_GPUS"] as const) {
    const value = env[name];
    if (value) return { ids: parseSlurmGpus(value), source: name };
  }
  return undefined;
}

export type ListGpus = () => Promise<string | undefined>;

/** Runs `nvidia-smi -L`; `undefined` when it is missing or fails (no driver, no GPU). */
export const nvidiaSmiList: ListGpus = async () => {
  const result = await execa("nvidia-smi", ["-L"], { reject: false, timeout: 15_000, stdin: "ignore" });
  return result.exitCode === 0 ? String(result.stdout) : undefined;
};

export async function detectGpus(
  env: NodeJS.ProcessEnv,
  override?: string[],
  listGpus: ListGpus = nvidiaSmiList,
): Promise<Gpus> {
  const fromEnv = gpusFromEnv(env, override);
  if (fromEnv) return fromEnv;
  const listing = await listGpus();
  const ids = listing === undefined ? [] : parseNvidiaSmiList(listing);
  return ids.length > 0 ? { ids, source: "nvidia-smi" } : { ids: [], source: "none" };
}

/** Override, else the allocation's CPUs on this node, else the machine's. */
export function detectCpus(env: NodeJS.ProcessEnv, override?: number, machine = availableParallelism()): number {
  if (override !== undefined) return override;
  const slurm = Number.parseInt(env.SLURM_CPUS_ON_NODE ?? "", 10);
  return Number.isInteger(slurm) && slurm > 0 ? slurm : machine;
}
