import { rmSync, writeFileSync } from "node:fs";
import { RvError } from "../errors.ts";
import {
  type LeasePaths,
  leasePaths,
  listEntries,
  PROTOCOL_VERSION,
  readRecord,
  type Segment,
  SegmentSchema,
  type SlurmLease,
  segmentFile,
  writeRecordAtomic,
} from "../fsqueue/index.ts";
import type { Remote } from "../remote/index.ts";
import { runQuery, sbatchSubmit, scancelJobs, squeueJobs } from "../slurm/index.ts";
import { partsOf, previousInPart } from "./parts.ts";
import type { SegmentPlan } from "./renewal.ts";
import { renderSegmentScript } from "./script.ts";
import { submitWatchdog, type Watchdog, watchdogFiles } from "./watchdog.ts";

export function readSegments(p: LeasePaths): Segment[] {
  return listEntries(p.segments)
    .filter((name) => /^\d+\.json$/.test(name))
    .map((name) => readRecord(segmentFile(p, Number.parseInt(name, 10), "json"), SegmentSchema))
    .sort((a, b) => a.n - b.n);
}

export function writeSegment(p: LeasePaths, segment: Segment): void {
  writeRecordAtomic(p.tmp, segmentFile(p, segment.n, "json"), segment);
}

/**
 * One strategy's job in the race for segment 0: which attempt and rank it claims as, the `--time-min` that lets
 * Slurm shorten it into a backfill hole, and where its own Slurm output goes (each racer has one).
 */
export interface RaceSlot {
  attempt: number;
  rank: number;
  timeMinSeconds: number | null;
  output: string;
}

/** The batch script of one segment of the lease (also what `rv lease up --dry-run` prints). */
export function segmentScript(root: string, lease: SlurmLease, plan: SegmentPlan, slot?: RaceSlot): string {
  const p = leasePaths(root, lease.id);
  const r = lease.request;
  return renderSegmentScript({
    lease: lease.id,
    segment: plan.n,
    root,
    rv: lease.rv,
    partition: r.partition,
    gpusPerNode: r.gpusPerNode,
    gpuType: r.gpuType,
    nodes: r.nodes,
    cpusPerNode: r.cpusPerNode,
    memPerNode: r.memPerNode,
    wallSeconds: plan.wallSeconds,
    ...(slot?.timeMinSeconds && { timeMinSeconds: Math.min(slot.timeMinSeconds, plan.wallSeconds) }),
    signalLeadSeconds: signalLead(plan.wallSeconds),
    account: r.account,
    jobName: segmentJobName(lease.id, plan.n),
    output: slot?.output ?? segmentFile(p, plan.n, "out"),
    race: slot ? { attempt: slot.attempt, rank: slot.rank, part: plan.n } : null,
    renew: plan.renew,
    takeOverFrom: lease.request.renewal === "overlap" ? previousInPart(plan.n, partsOf(lease)) : null,
    idleReleaseSeconds: r.idleReleaseSeconds ?? null,
  });
}

/** Every job of a segment has this name, the racers of segment 0 included: `squeue -n` finds them all. */
export function segmentJobName(lease: string, n: number): string {
  return `rv-${lease}-${n}`;
}

/**
 * The jobs of a lease's segments among `jobs` (by their name, whatever the segment's number: one sbatch accepted
 * as its call failed, a part's renewal), with those on record; each once.
 */
export function segmentJobIdsOf(
  lease: string,
  jobs: readonly { jobId: string; name: string | null }[],
  recorded: readonly string[],
): string[] {
  const named = jobs.filter((j) => j.name !== null && segmentNumberOf(lease, j.name) !== null).map((j) => j.jobId);
  return [...new Set([...recorded, ...named])];
}

function segmentNumberOf(lease: string, name: string): number | null {
  const prefix = segmentJobName(lease, 0).slice(0, -1);
  const rest = name.startsWith(prefix) ? name.slice(prefix.length) : "";
  return /^\d+$/.test(rest) ? Number(rest) : null;
}

/** Cancels every job of the lease's segments Slurm still holds for `user` (segmentJobIdsOf), `recorded` too. */
export async function cancelSegmentJobs(
  remote: Remote,
  lease: string,
  user: string,
  recorded: readonly string[],
): Promise<void> {
  const mine = await runQuery(remote, squeueJobs({ user }));
  const ids = segmentJobIdsOf(lease, mine.records, recorded);
  if (ids.length > 0) await runQuery(remote, scancelJobs(ids));
}

/**
 * How long before its end a segment is told to wind down: 90 s, which with Slurm's up-to-60-s-early delivery
 * leaves the runner time for checkpoint grace and kill grace; a quarter of a short segment, but at least 30 s.
 */
export function signalLead(wallSeconds: number): number {
  return Math.min(90, Math.max(30, Math.floor(wallSeconds / 4)));
}

/**
 * sbatch arguments that are not in the script: the dependency on the previous segment (chain), or the time
 * before which it may not start (overlap), relative to `nowEpoch` so that no time zone is involved.
 */
export function segmentSbatchArgs(plan: SegmentPlan, nowEpoch: number): string[] {
  return [
    ...(plan.after ? [`--dependency=afterany:${plan.after}`] : []),
    ...(plan.beginAt !== null && plan.beginAt > nowEpoch ? [`--begin=now+${plan.beginAt - nowEpoch}`] : []),
  ];
}

/**
 * Submits one segment: the script is kept beside its record (`segments/<n>.sh`), sbatch reads it on stdin,
 * and the record is written once Slurm has given the job id; then its watchdog, recorded with it. A refusal of
 * the segment is an error with Slurm's reason.
 */
export async function submitSegment(
  remote: Remote,
  root: string,
  lease: SlurmLease,
  plan: SegmentPlan,
  by: string,
  now: Date,
  recorded: (segment: Segment) => void = () => {},
): Promise<Segment> {
  const p = leasePaths(root, lease.id);
  const script = segmentScript(root, lease, plan);
  writeFileSync(segmentFile(p, plan.n, "sh"), script, { mode: 0o600 });
  const outcome = await runQuery(
    remote,
    sbatchSubmit(segmentSbatchArgs(plan, Math.floor(now.getTime() / 1000)), script),
  );
  if (!outcome.ok) {
    throw new RvError("cluster", `Slurm refused segment ${plan.n} of lease ${lease.id}: ${outcome.error.message}`, {
      hint: hintFor(outcome.error.kind),
    });
  }
  const segment: Segment = {
    v: PROTOCOL_VERSION,
    lease: lease.id,
    n: plan.n,
    jobId: outcome.jobId,
    submittedAt: now.toISOString(),
    submittedBy: by,
    after: plan.after,
    wallSeconds: plan.wallSeconds,
    ...(plan.overlapSeconds > 0 && { overlapSeconds: plan.overlapSeconds }),
    ...(plan.beginAt !== null && { beginAt: new Date(plan.beginAt * 1000).toISOString() }),
    ...(plan.endsBefore && { endsBefore: plan.endsBefore }),
    ...(plan.beginsAfter?.length && { beginsAfter: plan.beginsAfter }),
  };
  writeSegment(p, segment);
  recorded(segment);
  const watchdog = await submitWatchdog(
    remote,
    root,
    lease,
    { kind: "afternotok", jobs: [segment.jobId] },
    watchdogFiles(p, { segment: plan.n }),
  );
  return watchSegment(p, segment.n, watchdog);
}

/**
 * Takes back segments just submitted, when what submitted them is all or none and failed after them: their
 * watchdogs (listed first: a segment's cancellation would wake its own) and jobs are cancelled, and their records
 * removed, so that no supervisor counts them as segments that ended early.
 */
export async function withdrawSegments(remote: Remote, p: LeasePaths, segments: readonly Segment[]): Promise<void> {
  const watchdogs = segments.flatMap((s) => (s.watchdog && "jobId" in s.watchdog ? [s.watchdog.jobId] : []));
  const ids = [...watchdogs, ...segments.map((s) => s.jobId)];
  if (ids.length > 0) await runQuery(remote, scancelJobs(ids));
  for (const s of segments) rmSync(segmentFile(p, s.n, "json"), { force: true });
}

/**
 * Segment `n`'s record with its watchdog (or Slurm's refusal of it), read again just before: an end recorded
 * meanwhile is kept.
 */
export function watchSegment(p: LeasePaths, n: number, watchdog: Watchdog): Segment {
  const watched = { ...readRecord(segmentFile(p, n, "json"), SegmentSchema), watchdog };
  writeSegment(p, watched);
  return watched;
}

function hintFor(kind: string): string {
  switch (kind) {
    case "invalid_partition":
      return "rv resources lists the partitions and their GPU types";
    case "invalid_account":
      return "check the account with sshare -U, or leave --account out for your default";
    case "node_config_unavailable":
      return "no node of the partition has that many GPUs of that type, CPUs or memory: rv resources shows what exists";
    default:
      return "the segment script is kept in the lease's segments/ directory; sbatch it by hand to see more";
  }
}
