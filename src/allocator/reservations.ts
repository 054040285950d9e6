import type { ReservationNote } from "../fsqueue/index.ts";
import type { ScontrolReservation } from "../slurm/parse/scontrol.ts";

/**
 * Segments around Slurm reservations (docs/allocator.md, "Walltime that respects the site"). While a reservation
 * lasts, its nodes take only jobs that name it, and Slurm starts no job whose walltime would reach into one: it
 * holds the job pending (`ReqNodeNotAvail, Reserved for maintenance` for a MAINT reservation) until the
 * reservation is over. rv never names a reservation, so every reservation on the nodes a segment needs is in its
 * way: the segment is planned to end before the next one starts, or, when no useful segment fits before it, to
 * begin once it is over.
 */

/** Slurm takes whole minutes; a segment shorter than this cannot hold a task worth starting. */
export const MIN_SEGMENT_SECONDS = 120;

/**
 * How long before a reservation a shortened segment ends: its job may start a scheduling pass or two after rv
 * planned it, and must still end before the reservation begins.
 */
export const RESERVATION_MARGIN_SECONDS = 60;

export interface FitRequest {
  /** The earliest start, epoch seconds. */
  fromEpoch: number;
  wallSeconds: number;
  /** The shortest segment worth asking for. */
  minSeconds: number;
  /**
   * Before this a segment's time counts for nothing (the segment before it still runs, overlap renewal): a
   * shortened one must run `minSeconds` past it. Absent: `fromEpoch`.
   */
  usefulFromEpoch?: number;
  /** The nodes the job may run on, and how many of them it needs. */
  nodes: readonly string[];
  count: number;
  reservations: readonly ScontrolReservation[];
}

export interface Fit {
  /** `fromEpoch`, or later: when the reservations it waits out are over. */
  startEpoch: number;
  wallSeconds: number;
  /** The reservation its walltime was shortened for, in whole minutes ending before it starts; null: none. */
  endsBefore: ReservationNote | null;
  /** The reservations that held it back: they held its nodes at the start, or began too soon for a useful segment. */
  waitsFor: ReservationNote[];
}

/** A reservation's hold on the nodes: from `start` until `end` (Infinity: no end known). */
interface Window {
  start: number;
  end: number;
  nodes: ReadonlySet<string>;
  note: ReservationNote;
}

/**
 * Where a job of `wallSeconds` on `count` of `nodes` fits around the reservations, from `fromEpoch` on: at once
 * with its whole walltime when that ends (a margin) before the next reservation on enough nodes; at once but
 * shorter, in whole minutes, when at least `minSeconds` fit; else at the end of the reservation that stood in
 * the way, tried the same way. Null when no start is ever free (a reservation without an end, or fewer nodes
 * than the job needs).
 */
export function fitAroundReservations(r: FitRequest): Fit | null {
  const windows = windowsOn(r.reservations, r.nodes, r.fromEpoch);
  const starts = [r.fromEpoch, ...windows.map((w) => w.end).filter((e) => Number.isFinite(e) && e > r.fromEpoch)];
  const waitsFor: ReservationNote[] = [];
  for (const start of [...new Set(starts)].sort((a, b) => a - b)) {
    const limit = r.nodes
      .map((node) => horizon(node, start, windows))
      .sort((a, b) => b.at - a.at)
      .at(r.count - 1);
    if (!limit) return null;
    const room = limit.at - start;
    if (room >= r.wallSeconds + RESERVATION_MARGIN_SECONDS) {
      return { startEpoch: start, wallSeconds: r.wallSeconds, endsBefore: null, waitsFor };
    }
    const cut = Math.floor((room - RESERVATION_MARGIN_SECONDS) / 60) * 60;
    const useful = start + cut - Math.max(start, r.usefulFromEpoch ?? r.fromEpoch);
    if (useful >= r.minSeconds && limit.by) {
      return { startEpoch: start, wallSeconds: cut, endsBefore: limit.by, waitsFor };
    }
    if (limit.by && !waitsFor.some((n) => n.name === limit.by?.name)) waitsFor.push(limit.by);
  }
  return null;
}

/**
 * The reservations not over at `fromEpoch` that hold any of `nodes`: what `rv lease why` and `rv resources` show.
 */
export function reservationsOn(
  reservations: readonly ScontrolReservation[],
  nodes: readonly string[],
  fromEpoch: number,
): ScontrolReservation[] {
  const wanted = new Set(nodes);
  return reservations.filter((r) => r.nodes.some((n) => wanted.has(n)) && endOf(r) > fromEpoch);
}

/** What rv records of a reservation (segments/<n>.json, a strategy's `endsBefore`); null for one with no start. */
export function reservationNote(r: ScontrolReservation): ReservationNote | null {
  if (r.start.kind !== "at") return null;
  const end = endOf(r);
  return {
    name: r.name,
    startEpoch: r.start.epoch,
    endEpoch: Number.isFinite(end) ? end : null,
    nodes: r.nodes,
    maint: r.flags.includes("MAINT"),
  };
}

/** For a person: `maintenance reservation X` (Flags=MAINT), else `reservation X`. */
export function reservationName(note: Pick<ReservationNote, "name" | "maint">): string {
  return `${note.maint ? "maintenance reservation" : "reservation"} ${note.name}`;
}

function windowsOn(reservations: readonly ScontrolReservation[], nodes: readonly string[], from: number): Window[] {
  return reservationsOn(reservations, nodes, from).flatMap((r) => {
    const note = reservationNote(r);
    return note ? [{ start: note.startEpoch, end: endOf(r), nodes: new Set(r.nodes), note }] : [];
  });
}

/** When the node is next taken by a reservation from `t` on (`t` itself: it is taken now), and by which. */
function horizon(node: string, t: number, windows: readonly Window[]): { at: number; by: ReservationNote | null } {
  let next: { at: number; by: ReservationNote | null } = { at: Infinity, by: null };
  for (const w of windows) {
    if (!w.nodes.has(node) || w.end <= t) continue;
    const at = Math.max(t, w.start);
    if (at < next.at) next = { at, by: w.note };
  }
  return next;
}

function endOf(r: ScontrolReservation): number {
  return r.end.kind === "at" ? r.end.epoch : Infinity;
}
