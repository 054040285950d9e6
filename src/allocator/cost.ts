import { RvError } from "../errors.ts";
import type { ProfileGpu, SiteProfile } from "./profile/schema.ts";

export interface CostRequest {
  gpus: number;
  /** A GPU key of the profile (`a100_80`). */
  type: string;
  seconds: number;
}

export interface Cost {
  type: string;
  partition: string;
  gpus: number;
  seconds: number;
  gpuHours: number;
  suPerGpuHour: number;
  /** Rounded to hundredths, as sites print balances. */
  su: number;
  /** The site's limits this request is beyond: Slurm would refuse it, or never run it. */
  limits: string[];
}

/** What holding `gpus` GPUs of `type` for `seconds` charges: GPUs x hours x the type's rate. */
export function costOf(profile: SiteProfile, request: CostRequest): Cost {
  const gpu = profile.gpus.find((g) => g.key === request.type);
  if (!gpu) {
    const keys = profile.gpus.map((g) => g.key).join(", ") || "none";
    throw new RvError("usage", `the site profile ${profile.name} has no GPU type ${JSON.stringify(request.type)}`, {
      hint: `its types: ${keys}`,
    });
  }
  const gpuHours = (request.gpus * request.seconds) / 3600;
  return {
    type: gpu.key,
    partition: gpu.partition,
    gpus: request.gpus,
    seconds: request.seconds,
    gpuHours,
    suPerGpuHour: gpu.suPerGpuHour,
    su: hundredths(gpuHours * gpu.suPerGpuHour),
    limits: limitsBeyond(profile, gpu, request.gpus),
  };
}

function limitsBeyond(profile: SiteProfile, gpu: ProfileGpu, gpus: number): string[] {
  const beyond = [
    gpu.maxPerJob !== null && gpus > gpu.maxPerJob && `one job may hold at most ${gpu.maxPerJob} ${gpu.key} GPUs`,
    gpu.maxPerUser !== null &&
      gpus > gpu.maxPerUser &&
      `one user may run at most ${gpu.maxPerUser} ${gpu.key} GPUs at once`,
    gpu.kind === "gpu" &&
      profile.maxGpusPerUser !== null &&
      gpus > profile.maxGpusPerUser &&
      `one user may run at most ${profile.maxGpusPerUser} GPUs at once across the GPU partitions`,
  ];
  return beyond.filter((limit): limit is string => typeof limit === "string");
}

export function hundredths(value: number): number {
  return Math.round(value * 100) / 100;
}
