import { reservationNote, reservationsOn } from "../allocator/reservations.ts";
import { deferred } from "../deferred.ts";
import { ReservationNoteSchema } from "../fsqueue/index.ts";
import type { ScontrolPartition, ScontrolReservation } from "../slurm/parse/scontrol.ts";
import { scontrolNodes, scontrolPartitions, scontrolReservations } from "../slurm/queries/scontrol.ts";
import { squeueJobs } from "../slurm/queries/squeue.ts";
import { runQueries } from "../slurm/query.ts";
import { GpuPoolSchema, summarizeGpus } from "../slurm/resources.ts";
import { z } from "../zod.ts";
import { defineOp, type OpEnv } from "./op.ts";

const ResourcesSchema = deferred(() =>
  z.object({
    at: z.string(),
    pools: z.array(GpuPoolSchema),
    /** Reservations not yet over on the nodes of these partitions, and which of them each takes nodes of. */
    reservations: z.array(z.extend(ReservationNoteSchema, { partitions: z.array(z.string()) })),
  }),
);
type Resources = z.infer<typeof ResourcesSchema>;

/** GPUs per partition and type, and the reservations on them, from four Slurm commands run together where Slurm is. */
export async function readResources(env: OpEnv, partitions: string[]): Promise<Resources> {
  const [parts, nodes, pending, reservations] = await runQueries(env.remote, [
    scontrolPartitions(),
    scontrolNodes(),
    squeueJobs({ states: ["PENDING"] }),
    scontrolReservations(),
  ] as const);
  const pools = summarizeGpus({ partitions: parts.records, nodes: nodes.records, pending: pending.records });
  const shown = partitions.length ? parts.records.filter((p) => partitions.includes(p.name)) : parts.records;
  const now = env.now();
  return {
    at: now.toISOString(),
    pools: partitions.length ? pools.filter((p) => partitions.includes(p.partition)) : pools,
    reservations: reservationsIn(shown, reservations.records, Math.floor(now.getTime() / 1000)),
  };
}

function reservationsIn(partitions: readonly ScontrolPartition[], all: readonly ScontrolReservation[], now: number) {
  return reservationsOn(
    all,
    partitions.flatMap((p) => p.nodes),
    now,
  ).flatMap((r) => {
    const note = reservationNote(r);
    const touched = partitions.filter((p) => p.nodes.some((n) => r.nodes.includes(n))).map((p) => p.name);
    return note ? [{ ...note, partitions: touched }] : [];
  });
}

/** `rv resources`: total, allocated, idle, planned and wanted GPUs per partition and type; the reservations. */
export const resourcesOp = defineOp({
  name: "resources",
  input: deferred(() => z.object({ partitions: z._default(z.array(z.string()), []) })),
  result: ResourcesSchema,
  run: (env, input) => readResources(env, input.partitions),
});
