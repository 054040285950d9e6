import { RvError } from "../errors.ts";
import { CallBroke, leaseHere, type Place } from "../ops/places.ts";
import type { TaskRef } from "../ops/refs.ts";
import { clustersWithLease } from "./completion/cache.ts";
import type { Context } from "./context.ts";

/**
 * Where a named lease lives: this machine; else the cluster `--cluster` named; else the cluster rv saw it on
 * (the one in use when it was seen on several, among them); else the cluster in use. A lease on none of them is
 * not found where it was looked for last.
 */
export function placeOfLease(ctx: Context, lease: string): Place {
  if (leaseHere(ctx.root, lease)) return ctx.local;
  const fallback = ctx.cluster ?? ctx.local;
  if (ctx.clusterNamed) return fallback;
  const seenOn = clustersWithLease(ctx.root, lease).flatMap((name) => ctx.clusters.filter((c) => c.name === name));
  if (seenOn.length === 0 || seenOn.some((place) => place === ctx.cluster)) return fallback;
  const [only, ...others] = seenOn;
  if (only && others.length === 0) return only;
  throw new RvError("usage", `lease ${lease} is on clusters ${seenOn.map((p) => p.name).join(" and ")}`, {
    hint: `say which: --cluster ${only?.name}`,
  });
}

/** With no lease named: this machine and the cluster in use. */
export function placesFor(ctx: Context, lease: string | null | undefined): Place[] {
  if (lease) return [placeOfLease(ctx, lease)];
  return ctx.cluster ? [ctx.local, ctx.cluster] : [ctx.local];
}

export interface Reached<T> {
  place: Place;
  value: T;
}

/** What a command read from each place it could reach, and why the others are missing. */
export interface Gathered<T> {
  reached: Reached<T>[];
  missing: { place: Place; error: RvError }[];
}

/** A place is missing, not failed, when it cannot be reached or its side of the call broke down. */
export function isMissing(place: Place, error: unknown): error is RvError {
  return (
    place.kind === "cluster" && error instanceof RvError && (error.code === "unreachable" || error.code === "cluster")
  );
}

/**
 * Asks every place at once. What cannot be reached is reported, not thrown, while anything at all was read; when
 * nothing was, the first reason is the error.
 */
export async function gather<T>(places: Place[], read: (place: Place) => Promise<T>): Promise<Gathered<T>> {
  const settled = await Promise.allSettled(places.map(read));
  const gathered: Gathered<T> = { reached: [], missing: [] };
  settled.forEach((outcome, i) => {
    const place = places[i] as Place;
    if (outcome.status === "fulfilled") gathered.reached.push({ place, value: outcome.value });
    else if (isMissing(place, outcome.reason)) gathered.missing.push({ place, error: outcome.reason });
    else throw outcome.reason;
  });
  const [first] = gathered.missing;
  if (gathered.reached.length === 0 && first) throw first.error;
  return gathered;
}

/** The selection a task op takes, before the places resolve it. */
export interface Selection {
  refs: string[];
  lease: string | null;
  all: boolean;
  tags: string[];
}

type Select = Selection & { elsewhere: { tasks: TaskRef[]; total: number }[] };

/**
 * Runs a task op where the selected tasks live, resolving references across both places as if they were one:
 * this machine's candidates for each reference go with the cluster's call (one round trip), and the cluster hands
 * back the references that mean this machine's tasks, which then run here. With a lease named, or --all, or
 * --tag, or no cluster, each place resolves its own.
 */
export async function onSelectedTasks<R extends { elsewhere: TaskRef[] }>(
  ctx: Context,
  selection: Selection,
  call: (place: Place, select: Select) => Promise<R>,
): Promise<Gathered<R>> {
  const { cluster, local } = ctx;
  const plain = { ...selection, elsewhere: [] };
  if (selection.lease) {
    const place = placeOfLease(ctx, selection.lease);
    return { reached: [{ place, value: await call(place, plain) }], missing: [] };
  }
  if (!cluster || selection.all || selection.tags.length > 0) {
    return gather(placesFor(ctx, null), (place) => call(place, plain));
  }
  // Loaded here, with a cluster to ask: the candidates' schemas are no cost to a command that never gets this far.
  const { candidatesOp } = await import("../ops/candidates.ts");
  const { candidates } = await local.call(candidatesOp, { refs: selection.refs });
  // A full id is unique wherever it was made: when this machine holds every one named, the cluster is not asked.
  if (selection.refs.every((ref, i) => candidates[i]?.tasks.some((t) => t.id === ref))) {
    return { reached: [{ place: local, value: await call(local, plain) }], missing: [] };
  }
  let there: R;
  try {
    there = await call(cluster, { ...plain, elsewhere: candidates });
  } catch (error) {
    // Only a cluster never reached leaves the references to this machine: a call that broke off may have acted
    // already, and the same reference here could mean another task.
    if (!isMissing(cluster, error) || error instanceof CallBroke) throw error;
    ctx.io.err(`rv: ${cluster.where} is out of reach (${error.message}); looking on this machine only\n`);
    return { reached: [{ place: local, value: await call(local, plain) }], missing: [{ place: cluster, error }] };
  }
  const reached: Reached<R>[] = [{ place: cluster, value: there }];
  if (there.elsewhere.length > 0) {
    const refs = there.elsewhere.map((ref) => ref.id);
    reached.unshift({ place: local, value: await call(local, { ...plain, refs }) });
  }
  return { reached, missing: [] };
}

/** Says which places were not read, on stderr: the rest of the output stands. */
export function reportMissing(ctx: Context, missing: Gathered<unknown>["missing"], what: string): void {
  for (const { place, error } of missing) {
    ctx.io.err(`rv: ${what} on ${place.where} are not shown: ${error.message}\n`);
    if (error.hint) ctx.io.err(`  hint: ${error.hint}\n`);
  }
}

export function missingJson(missing: Gathered<unknown>["missing"]): Record<string, unknown>[] {
  return missing.map(({ place, error }) => ({
    place: place.name,
    error: error.toRecord(),
  }));
}

/** How long a following read (rv wait, rv logs -f) keeps asking again after its connection to a cluster dropped. */
const RECONNECT_FOR_MS = 120_000;

/**
 * A read that follows a cluster's tasks for long (rv wait, rv logs -f): when the ssh connection drops under it
 * (a killed control master, a laptop that changed networks), it asks again over a new one, pausing 1, 2, 4, 8 s,
 * for up to two minutes, while the network may still be coming back. Only a call that reached the cluster and
 * then broke starts this (a refused key or an unknown host will not mend by asking again), and only reads do it:
 * asking again changes nothing there. `call` builds its input anew each time (what is left of a timeout, where
 * the following had got). Ctrl-C (`stop`) ends a pause at once.
 */
export async function reconnecting<T>(
  ctx: Context,
  place: Place,
  call: () => Promise<T>,
  stop?: AbortSignal,
): Promise<T> {
  const giveUpAt = Date.now() + RECONNECT_FOR_MS;
  let broke = false;
  for (let pauseMs = 1000; ; pauseMs = Math.min(pauseMs * 2, 8000)) {
    try {
      return await call();
    } catch (error) {
      broke ||= error instanceof CallBroke;
      const dropped = place.kind === "cluster" && broke && error instanceof RvError && error.code === "unreachable";
      if (!dropped || Date.now() + pauseMs > giveUpAt || stop?.aborted) throw error;
      ctx.io.err(`rv: ${error.message.split(";")[0]}; asking again in ${pauseMs / 1000} s\n`);
      await pause(pauseMs, stop);
      if (stop?.aborted) throw error;
    }
  }
}

function pause(ms: number, stop: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    stop?.addEventListener("abort", done, { once: true });
    function done() {
      clearTimeout(timer);
      stop?.removeEventListener("abort", done);
      resolve();
    }
  });
}
