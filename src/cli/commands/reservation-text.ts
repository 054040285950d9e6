import { reservationName } from "../../allocator/index.ts";
import type { ReservationNote } from "../../fsqueue/index.ts";
import { formatDuration } from "../output.ts";

/**
 * A Slurm reservation for people (`rv lease why`, `rv resources`): `maintenance reservation rv-maint on
 * rtx3090-01, from 2026-12-03T15:53:07Z (in 4m00s) to 2026-12-03T16:03:07Z (in 14m00s)`.
 */
export function describeReservation(note: ReservationNote, nowEpoch: number): string {
  const end = note.endEpoch === null ? "with no end" : `to ${when(note.endEpoch, nowEpoch)}`;
  return `${reservationName(note)} on ${nodeList(note.nodes)}, from ${when(note.startEpoch, nowEpoch)} ${end}`;
}

function when(epoch: number, nowEpoch: number): string {
  const iso = new Date(epoch * 1000).toISOString().replace(/\.\d+Z$/, "Z");
  const relative =
    epoch >= nowEpoch
      ? `in ${formatDuration((epoch - nowEpoch) * 1000)}`
      : `${formatDuration((nowEpoch - epoch) * 1000)} ago`;
  return `${iso} (${relative})`;
}

function nodeList(nodes: readonly string[]): string {
  return nodes.length <= 4 ? nodes.join(",") : `${nodes.length} nodes (${nodes.slice(0, 3).join(",")},...)`;
}
