import { fitAroundReservations, MIN_SEGMENT_SECONDS } from "../allocator/index.ts";
import type { Segment, SlurmLease } from "../fsqueue/index.ts";
import type { Remote } from "../remote/index.ts";
import {
  partitionNames,
  runQueries,
  type ScontrolPartition,
  type ScontrolReservation,
  scontrolPartitions,
  scontrolReservations,
} from "../slurm/index.ts";
import { partSegments } from "./parts.ts";
import { coveredSeconds, type SegmentClock, type SegmentPlan } from "./renewal.ts";

/**
 * A segment's walltime and start against the site (docs/allocator.md, "Walltime that respects the site"). The
 * allocator fits segment 0 when it decides; every later segment is planned from the lease's record, so it is
 * fitted here, just before it is submitted, to what the cluster says then.
 */

/** What bounds a lease's next segment: its partitions (MaxTime, nodes) and the reservations. */
export interface SegmentSite {
  /**
   * The lease's partition, or its partitions when its parts are spread (a multi-partition job); those gone are
   * left out (Slurm will refuse the segment and say so, when all are).
   */
  partitions: readonly ScontrolPartition[];
  reservations: readonly ScontrolReservation[];
}

/** The site of a lease's partitions (`request.partition`: one, or several separated by commas), in one round trip. */
export async function readSegmentSite(remote: Remote, partition: string): Promise<SegmentSite> {
  const [partitions, reservations] = await runQueries(remote, [scontrolPartitions(), scontrolReservations()] as const);
  const names = partitionNames(partition);
  return { partitions: partitions.records.filter((p) => names.includes(p.name)), reservations: reservations.records };
}

/**
 * The planned segment fitted to the site: no longer than the partition's MaxTime (MaxTime=UNLIMITED leaves the
 * lease's own, finite, segment length); ending before the next reservation on the partition's nodes, or, when
 * no useful segment fits before it, beginning once it is over (`--begin`). It would start when the segment
 * before ends (chain, with `clock.endsAtEpoch` that end), at its begin time (overlap), or now (a replacement).
 * Whether it renews follows from its walltime, as in planRenewal (over the segments of its part). The nodes are
 * the partition's: a reservation on nodes of it that lack the lease's GPUs may shorten a segment for nothing, never
 * let one run into it. A spread lease's job runs on one node of any of its partitions: the shortest MaxTime of
 * theirs, and any of their nodes (it needs one) free of reservations will do.
 */
export function fitSegmentToSite(
  plan: SegmentPlan,
  lease: SlurmLease,
  segments: readonly Segment[],
  site: SegmentSite,
  clock: SegmentClock,
): SegmentPlan {
  const planned = plan.beginAt ?? (plan.after === null ? clock.nowEpoch : clock.endsAtEpoch);
  const maxTimes = site.partitions.map((p) => (p.maxTime?.kind === "seconds" ? p.maxTime.seconds : Infinity));
  const capped = Math.min(plan.wallSeconds, ...maxTimes);
  const fit = fitAroundReservations({
    fromEpoch: planned,
    wallSeconds: capped,
    minSeconds: MIN_SEGMENT_SECONDS,
    usefulFromEpoch: plan.overlapSeconds > 0 ? clock.endsAtEpoch : planned,
    nodes: site.partitions.flatMap((p) => p.nodes),
    count: lease.request.nodes,
    reservations: site.reservations,
  });
  const start = fit?.startEpoch ?? planned;
  // held back past its planned start, it runs beside the segment before for less time, or not at all
  const overlapSeconds = Math.min(plan.overlapSeconds, Math.max(0, clock.endsAtEpoch - start));
  const left = lease.request.totalSeconds - coveredSeconds(partSegments(lease, segments, plan.n));
  const wallSeconds = Math.min(fit?.wallSeconds ?? capped, left + overlapSeconds);
  return {
    ...plan,
    wallSeconds,
    beginAt: start > planned ? start : plan.beginAt,
    overlapSeconds,
    renew: left - (wallSeconds - overlapSeconds) >= MIN_SEGMENT_SECONDS,
    ...(fit?.endsBefore && { endsBefore: fit.endsBefore }),
    ...(fit?.waitsFor.length && { beginsAfter: fit.waitsFor }),
  };
}
