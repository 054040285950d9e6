import { rmSync } from "node:fs";
import { hostname } from "node:os";
import { z } from "zod";
import { RvError } from "../../../errors.ts";
import { leasePaths, PROTOCOL_VERSION, type SlurmLease, SlurmRequestSchema } from "../../../fsqueue/index.ts";
import {
  ensureRoot,
  planFirstSegment,
  readLease,
  segmentSbatchArgs,
  segmentScript,
  submitSegment,
  writeLease,
} from "../../../lease/index.ts";
import type { ClusterSide } from "../side.ts";

export const LeaseUpArgsSchema = z.object({
  lease: z.string(),
  request: SlurmRequestSchema,
  /** The deployed rv the segments run: the same build as the caller. */
  rv: z.string(),
  dryRun: z.boolean().default(false),
});
export type LeaseUpArgs = z.infer<typeof LeaseUpArgsSchema>;

export interface LeaseUpResult {
  lease: SlurmLease;
  script: string;
  sbatchArgs: string[];
  /** The first segment's job; null for a dry run. */
  jobId: string | null;
}

/** Creates a Slurm lease on the cluster and submits its first segment (or, for a dry run, only shows it). */
export async function leaseUpOp(side: ClusterSide, args: LeaseUpArgs): Promise<LeaseUpResult> {
  const { root } = side.ctx;
  if (readLease(root, args.lease)) {
    throw new RvError("usage", `a lease named ${args.lease} exists already`, {
      hint: `pick another --name, or look at it: rv lease show ${args.lease}`,
    });
  }
  const lease: SlurmLease = {
    v: PROTOCOL_VERSION,
    id: args.lease,
    kind: "slurm",
    createdAt: side.ctx.now().toISOString(),
    host: hostname(),
    state: "active",
    request: args.request,
    rv: args.rv,
  };
  const plan = planFirstSegment(lease);
  const script = segmentScript(root, lease, plan);
  const sbatchArgs = segmentSbatchArgs(plan, Math.floor(side.ctx.now().getTime() / 1000));
  if (args.dryRun) return { lease, script, sbatchArgs, jobId: null };
  ensureRoot(root);
  writeLease(root, lease);
  try {
    const by = `rv lease up on ${lease.host}`;
    const segment = await submitSegment(side.remote, root, lease, plan, by, side.ctx.now());
    return { lease, script, sbatchArgs, jobId: segment.jobId };
  } catch (error) {
    // Nothing was queued under a lease Slurm refused: leave no lease behind that would never run.
    rmSync(leasePaths(root, lease.id).dir, { recursive: true, force: true });
    throw error;
  }
}
