import { PROTOCOL_VERSION, type SlurmLease, type SlurmRequest } from "../../src/fsqueue/index.ts";

/** A Slurm lease record as `rv lease up --partition gpu-a6000 --gpu 1` writes it, with the parts a test varies. */
export function makeSlurmLease(
  options: { id?: string; state?: "active" | "released"; request?: Partial<SlurmRequest> } = {},
): SlurmLease {
  return {
    v: PROTOCOL_VERSION,
    id: options.id ?? "sweep",
    kind: "slurm",
    createdAt: "2026-11-23T00:00:00.000Z",
    host: "login1",
    state: options.state ?? "active",
    rv: "/scratch/me/.rv/bin/rv-0.1.0-abc",
    request: {
      partition: "gpu-a6000",
      gpusPerNode: 1,
      gpuType: null,
      nodes: 1,
      cpusPerNode: null,
      memPerNode: null,
      totalSeconds: 3600,
      segmentSeconds: 3600,
      account: null,
      renewal: "chain",
      ...options.request,
    },
  };
}
