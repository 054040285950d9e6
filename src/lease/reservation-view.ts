import { reservationNote, reservationsOn } from "../allocator/index.ts";
import { deferred } from "../deferred.ts";
import { ReservationNoteSchema, type Segment } from "../fsqueue/index.ts";
import { partitionNames, type ScontrolPartition, type ScontrolReservation } from "../slurm/index.ts";
import { z } from "../zod.ts";

/**
 * A reservation in a lease's way, as `rv lease why` shows it: the reservation, the lease's partitions it takes
 * nodes of, what rv did about it (segments it shortened to end before it, segments it held back until it is
 * over), and the lease's jobs Slurm holds pending for a reservation on those nodes.
 */
export const LeaseReservationSchema = deferred(() =>
  z.extend(ReservationNoteSchema, {
    partitions: z.array(z.string()),
    /** Segments whose walltime rv cut to end before it starts. */
    endsBefore: z.array(z.int()),
    /** Segments rv asked to begin once it is over. */
    beginsAfter: z.array(z.int()),
    /** The lease's pending jobs whose reason is a reservation (`ReqNodeNotAvail, Reserved for maintenance`). */
    holds: z.array(z.string()),
  }),
);
export type LeaseReservation = z.infer<typeof LeaseReservationSchema>;

export interface LeaseReservationFacts {
  nowEpoch: number;
  /** The partitions the lease's jobs may run in (its own; before a claim, each racer's too), with their nodes. */
  partitions: readonly ScontrolPartition[];
  reservations: readonly ScontrolReservation[];
  segments: readonly Segment[];
  /** The lease's jobs in Slurm's queue, waiting: where (`a,b`: any of them), and Slurm's reason. */
  waiting: readonly { jobId: string; partition: string | null; reason: string | null }[];
}

/** Slurm's pending reasons that a reservation gives (a MAINT one, or any reservation on the nodes). */
const RESERVED = /ReqNodeNotAvail|Reserved for maintenance|Reservation/i;

/** The reservations not yet over on the nodes of the lease's partitions, each with what it did to the lease. */
export function leaseReservations(f: LeaseReservationFacts): LeaseReservation[] {
  const nodes = f.partitions.flatMap((p) => p.nodes);
  return reservationsOn(f.reservations, nodes, f.nowEpoch).flatMap((r) => {
    const note = reservationNote(r);
    if (!note) return [];
    const touched = f.partitions.filter((p) => p.nodes.some((n) => r.nodes.includes(n))).map((p) => p.name);
    const named = (notes: readonly { name: string }[] | undefined) => notes?.some((n) => n.name === r.name) ?? false;
    return [
      {
        ...note,
        partitions: touched,
        endsBefore: f.segments.filter((s) => named(s.endsBefore ? [s.endsBefore] : [])).map((s) => s.n),
        beginsAfter: f.segments.filter((s) => named(s.beginsAfter)).map((s) => s.n),
        holds: f.waiting
          .filter((j) => RESERVED.test(j.reason ?? "") && partitionNames(j.partition).some((p) => touched.includes(p)))
          .map((j) => j.jobId),
      },
    ];
  });
}
