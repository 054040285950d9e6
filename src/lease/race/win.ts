import { symlinkSync } from "node:fs";
import { relative } from "node:path";
import type { Claim, Race, Strategy } from "../../allocator/index.ts";
import { RvError } from "../../errors.ts";
import {
  type LeasePaths,
  leasePaths,
  ReservationNoteSchema,
  raceFile,
  type SlurmLease,
  type SlurmRequest,
  segmentFile,
} from "../../fsqueue/index.ts";
import { isFinished, type JobStatus } from "../../slurm/index.ts";
import { readSegments, writeSegment } from "../segments.ts";
import { readLease, updateLease } from "../store.ts";
import { readClaim } from "./store.ts";

/** What a person asked of a lease that no strategy changes. */
export type RequestPolicy = Omit<
  SlurmRequest,
  "partition" | "gpuType" | "gpusPerNode" | "nodes" | "cpusPerNode" | "memPerNode" | "segmentSeconds"
>;

/** A lease before a strategy gives it a shape (a race re-run takes any lease: the strategy replaces its shape). */
export type UnshapedLease = Omit<SlurmLease, "request"> & { request: RequestPolicy };

/** The lease in a strategy's shape (requestWithStrategy). */
export function shapeLease(lease: UnshapedLease, strategy: Strategy): SlurmLease {
  return { ...lease, request: requestWithStrategy(lease.request, strategy) };
}

/**
 * The lease's request with a strategy's shape: partition, type, topology, resources per node and segment
 * walltime. The rest (total time, renewal, account, idle release) stays as the person asked. Every segment
 * after the first asks for the shape that won, so the lease keeps one kind of GPU.
 */
export function requestWithStrategy(request: RequestPolicy, strategy: Strategy): SlurmRequest {
  return {
    ...request,
    partition: strategy.partition,
    gpuType: strategy.gpuType,
    gpusPerNode: strategy.gpusPerNode,
    nodes: strategy.nodes,
    cpusPerNode: strategy.cpusPerNode,
    memPerNode: strategy.memPerNode,
    // a walltime cut short by a reservation is the first segment's alone
    segmentSeconds: strategy.endsBefore?.segmentSeconds ?? strategy.wallSeconds,
  };
}

/**
 * The winner makes the lease its own: `lease.json` takes its shape and `segments/0.json` names its job, with
 * the walltime Slurm granted (`--time-min` may have shortened it) so that the lease's time is counted right.
 */
export function recordWin(
  root: string,
  race: Race,
  claim: Claim,
  granted: { startEpoch: number; endEpoch: number | null },
): SlurmLease {
  const entry = race.entries.find((e) => e.rank === claim.rank);
  // Shaped as lease.json is now, under its lock: a release or an extend meanwhile is kept.
  const won =
    entry &&
    readLease(root, race.lease) &&
    updateLease(root, race.lease, (now) => (now.kind === "slurm" ? shapeLease(now, entry.strategy) : undefined));
  if (!entry || won?.kind !== "slurm") {
    throw new RvError(
      "cluster",
      `lease ${race.lease} has no Slurm record or no rank ${claim.rank} in race ${race.attempt}`,
      {
        hint: `its files are under the lease's alloc/ directory: rv lease show ${race.lease} --alloc`,
      },
    );
  }
  const wall = entry.strategy.wallSeconds;
  const cut = entry.strategy.endsBefore;
  const grantedSeconds = granted.endEpoch === null ? wall : Math.min(wall, granted.endEpoch - granted.startEpoch);
  const p = leasePaths(root, race.lease);
  linkSegmentFiles(p, race.attempt, claim.rank);
  writeSegment(p, {
    v: 1,
    lease: race.lease,
    n: 0,
    jobId: claim.jobId,
    submittedAt: race.startedAt,
    submittedBy: `rv lease up, strategy ${entry.strategy.id} of ${race.entries.length} (attempt ${race.attempt})`,
    after: null,
    wallSeconds: Math.max(60, grantedSeconds),
    ...(cut && { endsBefore: ReservationNoteSchema.parse(cut) }),
  });
  return won;
}

/**
 * A winner whose job ended before it recorded segment 0 (it died between its claim and its record) is recorded
 * by its supervisor, from Slurm's word on its job: the lease then recovers as from any segment that died early.
 * Returns the lease as recorded then; undefined when there is nothing to record.
 */
export function recordEndedWinner(
  root: string,
  race: Race,
  jobOf: (jobId: string) => Pick<JobStatus, "state" | "start" | "end">,
): SlurmLease | undefined {
  const p = leasePaths(root, race.lease);
  const claim = readClaim(p);
  if (!claim || claim.attempt !== race.attempt || readSegments(p).length > 0) return undefined;
  const job = jobOf(claim.jobId);
  if (!job.state || !isFinished(job.state.kind)) return undefined;
  const at = (instant: JobStatus["start"]) => (instant?.kind === "at" ? instant.epoch : null);
  const endEpoch = at(job.end);
  return recordWin(root, race, claim, { startEpoch: at(job.start) ?? endEpoch ?? 0, endEpoch });
}

/** `segments/0.sh` and `0.out` lead to the winner's own files, so segment 0 is found where every segment is. */
function linkSegmentFiles(p: LeasePaths, attempt: number, rank: number): void {
  for (const ext of ["sh", "out"] as const) {
    const link = segmentFile(p, 0, ext);
    try {
      symlinkSync(relative(p.segments, raceFile(p, attempt, `${rank}.${ext}`)), link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}
