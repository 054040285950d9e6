import { deferred } from "../deferred.ts";
import { leasePaths } from "../fsqueue/index.ts";
import { LeaseReservationSchema, leaseReservations, readLatestRace } from "../lease/index.ts";
import { partitionNames, runQueries, scontrolPartitions, scontrolReservations } from "../slurm/index.ts";
import { z } from "../zod.ts";
import { LeaseShowSchema, showLease } from "./lease-show.ts";
import { defineOp } from "./op.ts";

/**
 * `rv lease why L`: the lease as `rv lease show` reads it, and the reservations on the nodes its jobs may run on,
 * each with what it did to the lease (leaseReservations). A local lease has none.
 */
export const leaseWhyOp = defineOp({
  name: "lease-why",
  input: deferred(() => z.object({ lease: z.string() })),
  result: deferred(() => z.extend(LeaseShowSchema, { reservations: z.array(LeaseReservationSchema) })),
  async run(env, input) {
    const shown = await showLease(env, input.lease, false);
    const view = shown.slurm;
    if (shown.lease.kind !== "slurm" || !view) return { ...shown, reservations: [] };
    const { request } = shown.lease;
    const race = readLatestRace(leasePaths(env.root, shown.lease.id));
    const partitionOf = new Map(race?.entries.map((e) => [e.rank, e.strategy.partition]));
    const wanted = new Set([...partitionNames(request.partition), ...partitionOf.values()]);
    const [partitions, reservations] = await runQueries(env.remote, [
      scontrolPartitions(),
      scontrolReservations(),
    ] as const);
    const waiting = [
      ...(view.race ?? [])
        .filter((r) => r.state === "pending" && r.jobId !== null)
        .map((r) => ({ jobId: r.jobId ?? "", partition: partitionOf.get(r.rank) ?? null, reason: r.reason })),
      ...view.segments
        .filter((s) => s.job.state?.kind === "pending")
        .map((s) => ({
          jobId: s.segment.jobId,
          partition: s.job.partition ?? request.partition,
          reason: s.job.reason,
        })),
    ];
    return {
      ...shown,
      reservations: leaseReservations({
        nowEpoch: Math.floor(env.now().getTime() / 1000),
        partitions: partitions.records.filter((p) => wanted.has(p.name)),
        reservations: reservations.records,
        segments: view.segments.map((s) => s.segment),
        waiting,
      }),
    };
  },
});
