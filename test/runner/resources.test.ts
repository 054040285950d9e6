import { describe, expect, it } from "vitest";
import {
  detectCpus,
  detectGpus,
  gpusFromEnv,
  parseCudaVisibleDevices,
  parseNvidiaSmiList,
  parseSlurmGpus,
} from "../../src/runner/index.ts";

const NVIDIA_SMI_L = `GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-4a3c9a0e-1f3b-6f35-2d6b-7c1a1f0b2e11)
GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-8e0d4b55-0c4a-0a1e-8a0e-0b5f2e3a9c22)
  MIG 3g.40gb     Device  0: (UUID: MIG-0b1f3f5a-7c2d-5c1e-9a4e-8f7a2e1c3b44)
GPU 2: Tesla V100-PCIE-32GB (UUID: GPU-0f9e8d7c-6b5a-4f3e-2d1c-0b9a8f7e6d55)
`;

describe("GPU parsing", () => {
  it.each([
    ["0,1,2", ["0", "1", "2"]],
    [" 2, 3 ", ["2", "3"]],
    ["", []],
    ["GPU-4a3c9a0e,GPU-8e0d4b55", ["GPU-4a3c9a0e", "GPU-8e0d4b55"]],
    ["0,-1,2", ["0"]],
    ["NoDevFiles", []],
  ])("CUDA_VISIBLE_DEVICES=%j -> %j", (value, want) => {
    expect(parseCudaVisibleDevices(value)).toEqual(want);
  });

  it.each([
    ["0,1", ["0", "1"]],
    ["0-3", ["0", "1", "2", "3"]],
    ["1,4-5", ["1", "4", "5"]],
  ])("SLURM_JOB_GPUS=%j -> %j", (value, want) => {
    expect(parseSlurmGpus(value)).toEqual(want);
  });

  it("nvidia-smi -L: GPU indexes, MIG lines ignored", () => {
    expect(parseNvidiaSmiList(NVIDIA_SMI_L)).toEqual(["0", "1", "2"]);
    expect(parseNvidiaSmiList("No devices were found\n")).toEqual([]);
  });
});

describe("GPU detection precedence", () => {
  it.each([
    {
      name: "override wins",
      env: { CUDA_VISIBLE_DEVICES: "0" },
      override: ["5", "6"],
      want: ["5", "6"],
      source: "override",
    },
    {
      name: "CUDA_VISIBLE_DEVICES before Slurm",
      env: { CUDA_VISIBLE_DEVICES: "1", SLURM_JOB_GPUS: "4,5" },
      want: ["1"],
      source: "CUDA_VISIBLE_DEVICES",
    },
    {
      name: "an empty CUDA_VISIBLE_DEVICES hides all GPUs",
      env: { CUDA_VISIBLE_DEVICES: "", SLURM_JOB_GPUS: "4" },
      want: [],
      source: "CUDA_VISIBLE_DEVICES",
    },
    { name: "SLURM_JOB_GPUS", env: { SLURM_JOB_GPUS: "4,5" }, want: ["4", "5"], source: "SLURM_JOB_GPUS" },
    { name: "SLURM_STEP_GPUS", env: { SLURM_STEP_GPUS: "7" }, want: ["7"], source: "SLURM_STEP_GPUS" },
  ])("$name", ({ env, override, want, source }) => {
    expect(gpusFromEnv(env, override)).toEqual({ ids: want, source });
  });

  it("falls back to nvidia-smi -L, then to none", async () => {
    expect(await detectGpus({}, undefined, async () => NVIDIA_SMI_L)).toEqual({
      ids: ["0", "1", "2"],
      source: "nvidia-smi",
    });
    expect(await detectGpus({}, undefined, async () => undefined)).toEqual({ ids: [], source: "none" });
  });

  it("on this machine without nvidia-smi, a runner has no GPUs unless told", async () => {
    const gpus = await detectGpus({ PATH: "/nonexistent" });
    expect(gpus).toEqual({ ids: [], source: "none" });
  });
});

describe("CPU detection", () => {
  it.each([
    { name: "override", env: { SLURM_CPUS_ON_NODE: "16" }, override: 3, want: 3 },
    { name: "the allocation's CPUs", env: { SLURM_CPUS_ON_NODE: "16" }, want: 16 },
    { name: "the machine's", env: {}, want: 12 },
    { name: "garbage in SLURM_CPUS_ON_NODE is ignored", env: { SLURM_CPUS_ON_NODE: "lots" }, want: 12 },
  ])("$name", ({ env, override, want }) => {
    expect(detectCpus(env, override, 12)).toBe(want);
  });
});
