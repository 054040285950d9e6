import { existsSync, symlinkSync } from "node:fs";
import { relative } from "node:path";
import type { Claim, Race, RaceEntry, Strategy } from "../../allocator/index.ts";
import { RvError } from "../../errors.ts";
import {
  type LeasePaths,
  leasePaths,
  ReservationNoteSchema,
  type Segment,
  type SlurmLease,
  type SlurmRequest,
  segmentFile,
} from "../../fsqueue/index.ts";
import { isFinished, type JobStatus } from "../../slurm/index.ts";
import { readSegments, writeSegment } from "../segments.ts";
import { readLease, updateLease } from "../store.ts";
import { racerFile, readClaim } from "./store.ts";

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
 * In a race of shapes the lease becomes a lease of that shape's parts, and each of its jobs the first segment of
 * its part (`segments/<part>.json`): `mine` is the job recording, the claim's or, when it starts later, another
 * part's. A segment already on record is kept: every job of the shape records them all, whichever comes first.
 */
export function recordWin(
  root: string,
  race: Race,
  claim: Claim,
  granted: { startEpoch: number; endEpoch: number | null },
  mine: { jobId: string; part: number } = claim,
): SlurmLease {
  const shape = race.entries.filter((e) => e.rank === claim.rank);
  const entry = shape[0];
  // Shaped as lease.json is now, under its lock: a release or an extend meanwhile is kept.
  const won =
    entry &&
    readLease(root, race.lease) &&
    updateLease(root, race.lease, (now) =>
      now.kind === "slurm" ? withParts(shapeLease(now, entry.strategy), entry.parts) : undefined,
    );
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
  const grantedSeconds = granted.endEpoch === null ? wall : Math.min(wall, granted.endEpoch - granted.startEpoch);
  const p = leasePaths(root, race.lease);
  // this job with the walltime Slurm granted it; the others of its shape asked no --time-min
  const others = shape.flatMap((e) => (e.jobId && e.jobId !== mine.jobId ? [{ jobId: e.jobId, part: e.part }] : []));
  const jobs = [{ ...mine, wallSeconds: grantedSeconds }, ...others.map((o) => ({ ...o, wallSeconds: wall }))];
  for (const job of jobs) {
    linkSegmentFiles(p, job.part, (ext) => racerFile(p, race.attempt, { ...entry, part: job.part }, ext));
    recordFirstSegment(p, {
      v: 1,
      lease: race.lease,
      n: job.part,
      jobId: job.jobId,
      submittedAt: race.startedAt,
      submittedBy: `rv lease up, ${shapeText(entry, job.part)} of ${race.entries.length} jobs (attempt ${race.attempt})`,
      after: null,
      wallSeconds: Math.max(60, job.wallSeconds),
      ...(entry.strategy.endsBefore && { endsBefore: ReservationNoteSchema.parse(entry.strategy.endsBefore) }),
    });
  }
  return won;
}

/** The lease as a lease of `parts` (a race of shapes decides how many); with one, a lease without parts. */
export function withParts(lease: SlurmLease, parts: number): SlurmLease {
  const { parts: _, ...request } = lease.request;
  return { ...lease, request: parts > 1 ? { ...request, parts } : request };
}

/** `strategy a6000:1x4:2h59m`, or in a race of shapes `part 1 of 4, strategy a6000:1x1:2h59m`. */
function shapeText(entry: Pick<RaceEntry, "strategy" | "parts">, part: number): string {
  const strategy = `strategy ${entry.strategy.id}`;
  return entry.parts > 1 ? `part ${part} of ${entry.parts}, ${strategy}` : strategy;
}

/** A first segment's record, unless one is there: the winner's own, or written by another job of its shape. */
function recordFirstSegment(p: LeasePaths, segment: Segment): void {
  if (existsSync(segmentFile(p, segment.n, "json"))) return;
  writeSegment(p, segment);
}

/**
 * In a race of shapes, the job already holding this job's part when this one is not the claimer: a racer whose
 * sbatch was retried after a refusal, while the claimer submitted the part afresh. Null when the part is this job's
 * or free.
 */
export function partTakenBy(p: LeasePaths, claim: Claim, me: { jobId: string; part: number }): string | null {
  if (claim.jobId === me.jobId) return null;
  const holder = readSegments(p).find((s) => s.n === me.part)?.jobId;
  return holder !== undefined && holder !== me.jobId ? holder : null;
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

/**
 * `segments/0.sh` and `0.out` (a part's: `<part>.sh`) lead to the winning job's own files, so a first segment is
 * found where every segment is.
 */
function linkSegmentFiles(p: LeasePaths, n: number, fileOf: (ext: "sh" | "out") => string): void {
  for (const ext of ["sh", "out"] as const) {
    const link = segmentFile(p, n, ext);
    try {
      symlinkSync(relative(p.segments, fileOf(ext)), link);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
  }
}
