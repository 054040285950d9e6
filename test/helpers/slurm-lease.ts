import { PROTOCOL_VERSION, type SlurmLease, type SlurmRequest } from "../../src/fsqueue/index.ts";
import type { SegmentView } from "../../src/lease/index.ts";

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

const isoOf = (epoch: number) => new Date(epoch * 1000).toISOString();

/**
 * Segment `n` of lease gpu4 as `rv lease show` reads it, submitted at `submitted` (epoch seconds): its job as squeue
 * has it (`start` once Slurm plans or runs it), and its recorded end once `end` is given.
 */
export function makeSegmentView(
  n: number,
  submitted: number,
  job: { start?: number; end?: number; state: string },
): SegmentView {
  const ended =
    job.end === undefined
      ? undefined
      : { state: job.state, start: isoOf(job.start ?? submitted), end: isoOf(job.end), nodes: ["n1"] };
  return {
    segment: {
      v: 1,
      lease: "gpu4",
      n,
      jobId: String(800 + n),
      submittedAt: isoOf(submitted),
      submittedBy: "rv lease up",
      after: null,
      wallSeconds: 600,
      ...(ended && { ended }),
    },
    job: {
      jobId: String(800 + n),
      source: "squeue",
      state: {
        kind: job.state === "PENDING" ? "pending" : job.state === "RUNNING" ? "running" : "completed",
        raw: job.state,
      },
      partition: "gpu",
      nodes: [],
      start: job.start === undefined ? { kind: "unknown" } : { kind: "at", epoch: job.start },
      end: { kind: "unknown" },
      reason: null,
    },
  } as SegmentView;
}
