import { holdsAllocation, type ScontrolNode, type SqueueJob } from "../slurm/index.ts";
import { reservationName, reservationNote, reservationsOn } from "./reservations.ts";
import type { ClusterState, Estimate, Strategy } from "./schema.ts";
import { durationText, gpusOn, jobGpusPerNode, memMiBOf, nodesFor, partitionsOf } from "./strategies.ts";

/**
 * rv's own estimate of when a strategy starts, because `sbatch --test-only` ignores the backfill plan in Slurm
 * 22.05 (DESIGN.md section 6). A small event simulation of the strategy's nodes: what is free now, what running
 * jobs give back when they end, and what the pending jobs (all taken as ahead of us) reserve from the earliest
 * time they fit, and the reservations (maintenance windows), during which a node takes no job of ours. The
 * strategy then starts at the earliest time its nodes are free for its walltime (or, with `--time-min`, for at
 * least that) without delaying any reservation: conservative backfill.
 */

/** What one node has, or has in use, of what a job asks. */
interface Amount {
  gpus: number;
  cpus: number;
  memMiB: number;
}

/**
 * A change of what a node has in use: a running job ends, or a pending job's reservation begins or ends; or a
 * Slurm reservation closes the node to us (`closes`) or opens it again (`opens`), `what` naming it for a person.
 */
type Change =
  | { at: number; delta: Amount; jobId: string; kind: "ends" | "reserved" | "released" }
  | { at: number; delta: Amount; what: string; kind: "closes" | "opens" };

interface Timeline {
  name: string;
  capacity: Amount;
  inUse: Amount;
  changes: Change[];
  /** When Slurm reservations hold the node: from `from` until `to` (Infinity: no end). */
  closed: { from: number; to: number }[];
}

/** Where and when a job fits: `length` is how long its nodes stay free, `bound` the reservation that ends that. */
interface Slot {
  start: number;
  length: number;
  nodes: Timeline[];
  bound: Change | null;
}

export function estimateStart(strategy: Strategy, state: ClusterState): Estimate | null {
  const now = state.nowEpoch;
  const timelines = nodesFor(strategy, state).map((node) => timelineOf(node, strategy.gpuType, state));
  for (const job of pendingAhead(strategy, state, timelines)) reserve(job, strategy.gpuType, timelines, now);
  const need = {
    gpus: strategy.gpusPerNode,
    cpus: strategy.cpusPerNode ?? 1,
    memMiB: memMiBOf(strategy.memPerNode) ?? 0,
  };
  const shortest = strategy.timeMinSeconds ?? strategy.wallSeconds;
  const slot = earliestSlot(timelines, need, strategy.nodes, shortest, now);
  return slot && estimateOf(slot, strategy, now);
}

/**
 * In use now: the larger of GresUsed and the running jobs' GPUs (either may miss a job). squeue does not say
 * how many CPUs and how much memory each job holds, so those come free only when the node's last job ends.
 */
function timelineOf(node: ScontrolNode, gpuType: string | null, state: ClusterState): Timeline {
  const running = state.jobs
    .filter((job) => holdsAllocation(job.state.kind) && job.nodes.includes(node.name))
    .map((job) => ({ job, gpus: jobGpusPerNode(job, gpuType), end: endOf(job, state.nowEpoch) }));
  const inUse = {
    gpus: Math.max(gpusOn(node.gresUsed ?? [], gpuType), sum(running.map((r) => r.gpus))),
    cpus: node.cpuAlloc ?? 0,
    memMiB: node.allocMemMiB ?? 0,
  };
  const changes: Change[] = running
    .filter((r) => r.gpus > 0 && Number.isFinite(r.end))
    .map((r) => ({ at: r.end, delta: amount(-r.gpus, 0, 0), jobId: r.job.jobId, kind: "ends" }));
  const last = running.reduce<(typeof running)[number] | null>((a, r) => (a === null || r.end > a.end ? r : a), null);
  if (last && Number.isFinite(last.end)) {
    changes.push({ at: last.end, delta: amount(0, -inUse.cpus, -inUse.memMiB), jobId: last.job.jobId, kind: "ends" });
  }
  const capacity = amount(gpusOn(node.gres, gpuType), node.cpuTotal ?? Infinity, node.realMemoryMiB ?? Infinity);
  const closed = closures(node.name, state);
  for (const c of closed) {
    changes.push({ at: c.from, delta: amount(0, 0, 0), what: c.what, kind: "closes" });
    if (Number.isFinite(c.to)) changes.push({ at: c.to, delta: amount(0, 0, 0), what: c.what, kind: "opens" });
  }
  return { name: node.name, capacity, inUse, changes, closed };
}

/** The reservations on the node, from now on. */
function closures(node: string, state: ClusterState): { from: number; to: number; what: string }[] {
  return reservationsOn(state.reservations, [node], state.nowEpoch).flatMap((r) => {
    const note = reservationNote(r);
    if (!note) return [];
    const to = note.endEpoch ?? Infinity;
    return [{ from: Math.max(state.nowEpoch, note.startEpoch), to, what: reservationName(note) }];
  });
}

/** A running job past its end is still running: it ends now at the earliest. Without an end, it never does. */
function endOf(job: SqueueJob, now: number): number {
  if (job.end?.kind === "at") return Math.max(now, job.end.epoch);
  if (job.timeLeft?.kind === "seconds") return now + job.timeLeft.seconds;
  return Infinity;
}

/**
 * Pending jobs that want GPUs of these nodes, in the order Slurm plans them: by planned start where squeue
 * gives one, the rest after them in list order.
 */
function pendingAhead(strategy: Strategy, state: ClusterState, timelines: Timeline[]): SqueueJob[] {
  const names = new Set(timelines.map((t) => t.name));
  const competing = state.jobs.filter(
    (job) =>
      job.state.kind === "pending" &&
      jobGpusPerNode(job, strategy.gpuType) > 0 &&
      (partitionsOf(job).includes(strategy.partition) || job.schedNodes.some((n) => names.has(n))),
  );
  const planned = (job: SqueueJob) => (job.start?.kind === "at" ? job.start.epoch : Infinity);
  return competing.sort((a, b) => ascending(planned(a), planned(b)));
}

/** A job planned on named nodes reserves those of ours; others, the first nodes free for their time limit. */
function reserve(job: SqueueJob, gpuType: string | null, timelines: Timeline[], now: number): void {
  const need = amount(jobGpusPerNode(job, gpuType), 0, 0);
  const named = job.schedNodes.length > 0;
  const candidates = named ? timelines.filter((t) => job.schedNodes.includes(t.name)) : timelines;
  const length = job.timeLimit?.kind === "seconds" ? job.timeLimit.seconds : Infinity;
  const count = named ? candidates.length : (job.nodeCount ?? 1);
  const slot = earliestSlot(candidates, need, count, length, now);
  if (!slot) return; // it can never run on these nodes, so it holds none of them
  for (const node of slot.nodes) {
    node.changes.push({ at: slot.start, delta: need, jobId: job.jobId, kind: "reserved" });
    if (Number.isFinite(length)) {
      const end = slot.start + length;
      node.changes.push({ at: end, delta: amount(-need.gpus, 0, 0), jobId: job.jobId, kind: "released" });
    }
  }
}

/** The earliest time `count` nodes each have `need` free for at least `minLength` seconds. */
function earliestSlot(timelines: Timeline[], need: Amount, count: number, minLength: number, now: number): Slot | null {
  const times = [...new Set([now, ...timelines.flatMap((t) => t.changes.map((c) => c.at))])].filter((t) => t >= now);
  for (const start of times.sort(ascending)) {
    const holes = timelines
      .flatMap((node) => {
        const hole = holeAt(node, start, need);
        return hole && hole.length >= minLength ? [{ node, ...hole }] : [];
      })
      .sort((a, b) => ascending(b.length, a.length));
    const chosen = holes.slice(0, count);
    if (chosen.length < count) continue;
    const limiting = chosen.at(-1);
    return {
      start,
      length: limiting?.length ?? Infinity,
      nodes: chosen.map((h) => h.node),
      bound: limiting?.bound ?? null,
    };
  }
  return null;
}

/** How long `need` stays free on the node from `start`, and the change that ends it; null if it is not free then. */
function holeAt(node: Timeline, start: number, need: Amount): { length: number; bound: Change | null } | null {
  const free = (t: number) => !isClosed(node, t) && fits(freeAt(node, t), need);
  if (!free(start)) return null;
  const later = [...new Set(node.changes.map((c) => c.at))].filter((t) => t > start).sort(ascending);
  const end = later.find((t) => !free(t));
  if (end === undefined) return { length: Infinity, bound: null };
  // only a job's reservation or a Slurm reservation takes resources away, so one begins when the hole ends
  const bound = node.changes.find((c) => c.at === end && (c.kind === "reserved" || c.kind === "closes")) ?? null;
  return { length: end - start, bound };
}

function isClosed(node: Timeline, t: number): boolean {
  return node.closed.some((c) => c.from <= t && t < c.to);
}

function freeAt(node: Timeline, t: number): Amount {
  const free = { ...node.capacity };
  for (const used of [node.inUse, ...node.changes.filter((c) => c.at <= t).map((c) => c.delta)]) {
    free.gpus -= used.gpus;
    free.cpus -= used.cpus;
    free.memMiB -= used.memMiB;
  }
  return free;
}

function fits(free: Amount, need: Amount): boolean {
  return free.gpus >= need.gpus && free.cpus >= need.cpus && free.memMiB >= need.memMiB;
}

function estimateOf(slot: Slot, strategy: Strategy, now: number): Estimate {
  const grantedSeconds = Math.min(strategy.wallSeconds, slot.length);
  const names = slot.nodes.map((n) => n.name).join(", ");
  const when = slot.start === now ? "now" : `in ${durationText(slot.start - now)}, when ${cause(slot)}`;
  const base = { startEpoch: slot.start, grantedSeconds };
  const bound = slot.bound;
  if (bound !== null && bound.kind !== "closes") {
    const detail = `${when}: a hole of ${durationText(slot.length)} on ${names} until job ${boundBy(bound)} starts`;
    return { ...base, basis: "hole", detail };
  }
  // A walltime that ends before a reservation says so: the reservation is why it is that short.
  const before =
    bound !== null && (strategy.endsBefore || grantedSeconds < strategy.wallSeconds)
      ? `, ending before ${boundBy(bound)} starts in ${durationText(slot.start + slot.length - now)}`
      : "";
  if (slot.start === now) return { ...base, basis: "idle", detail: `${share(strategy)} free now on ${names}${before}` };
  return { ...base, basis: "queue", detail: `${when}, on ${names}${before}` };
}

function boundBy(change: Change): string {
  return "jobId" in change ? change.jobId : change.what;
}

/** The change that frees the slot's nodes at its start. */
function cause(slot: Slot): string {
  const freeing = (c: Change) => c.at === slot.start && c.kind !== "reserved" && c.kind !== "closes";
  const change = slot.nodes.flatMap((n) => n.changes.filter(freeing))[0];
  if (!change) return "the nodes come free";
  if (change.kind === "opens") return `${change.what} ends`;
  return change.kind === "ends" ? `job ${boundBy(change)} ends` : `the reservation for job ${boundBy(change)} ends`;
}

function share(strategy: Strategy): string {
  if (strategy.gpusPerNode === 0) return "room";
  const each = strategy.nodes > 1 ? " each" : "";
  return `${strategy.gpusPerNode} ${strategy.gpuType ?? "GPUs"}${each}`;
}

function amount(gpus: number, cpus: number, memMiB: number): Amount {
  return { gpus, cpus, memMiB };
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}

/** A comparator that also orders Infinity (plain subtraction gives NaN for two of them). */
function ascending(a: number, b: number): number {
  return a === b ? 0 : a < b ? -1 : 1;
}
