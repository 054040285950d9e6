import { CandidateSchema, RaceRowSchema } from "../allocator/index.ts";
import { deferred } from "../deferred.ts";
import { RvError } from "../errors.ts";
import {
  leaseGpusOp,
  leaseReleaseOp,
  leaseShowOp,
  type Place,
  resourcesOp,
  silentSink,
  submitOp,
} from "../ops/index.ts";
import { LeaseGpusSchema } from "../ops/lease-gpus.ts";
import { LeaseShowSchema } from "../ops/lease-show.ts";
import { plural } from "../plural.ts";
import { z } from "../zod.ts";
import type { LiveFeed } from "./feed.ts";
import { WEB_VERSION } from "./schema.ts";

const quiet = { sink: silentSink };

/** A lease's page: what `rv lease show` reads (its record, its tasks counted, a Slurm lease's segments). */
export const WebLeaseShowSchema = deferred(() =>
  z.object({ v: z.literal(WEB_VERSION), place: z.string(), show: LeaseShowSchema }),
);
export type WebLeaseShow = z.infer<typeof WebLeaseShowSchema>;

export async function showLeaseAt(feed: LiveFeed, placeName: string, lease: string): Promise<WebLeaseShow> {
  const place = feed.place(placeName);
  const show = await place.call(leaseShowOp, { lease, alloc: false }, quiet);
  return { v: WEB_VERSION, place: place.name, show };
}

/** How far back a lease's page charts its GPUs. */
export const GPU_HISTORY_SECONDS = 24 * 3600;

/** How long the server keeps a lease's GPU history: every page asks each minute, the place is read once. */
export const GPU_HISTORY_KEPT_MS = 60_000;

/**
 * A lease's GPUs busy over its last day, for its page's chart (which adds what the lease held, from what it shows
 * of the lease): read when the page opens and every minute after (the page appends each refresh's GPUs meanwhile).
 */
export const WebLeaseGpusSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    place: z.string(),
    lease: z.string(),
    gpus: LeaseGpusSchema,
  }),
);
export type WebLeaseGpus = z.infer<typeof WebLeaseGpusSchema>;

/**
 * Reads a lease's GPU history as its place has it, keeping each lease's answer (or the read in flight) for
 * GPU_HISTORY_KEPT_MS, whichever page asks: a day of 100,000 attempts takes a second or two to read, on rv ui's
 * own thread for a lease of this machine.
 */
export function leaseGpusReader(feed: LiveFeed): (place: string, lease: string) => Promise<WebLeaseGpus> {
  const kept = new Map<string, { atMs: number; answer: Promise<WebLeaseGpus> }>();
  return (placeName, lease) => {
    const nowMs = Date.now();
    for (const [key, { atMs }] of kept) if (nowMs - atMs >= GPU_HISTORY_KEPT_MS) kept.delete(key);
    const key = JSON.stringify([placeName, lease]);
    const known = kept.get(key);
    if (known) return known.answer;
    const answer = readLeaseGpus(feed, placeName, lease);
    kept.set(key, { atMs: nowMs, answer });
    // A read that failed is not kept: the next ask reads again.
    answer.catch(() => kept.get(key)?.answer === answer && kept.delete(key));
    return answer;
  };
}

async function readLeaseGpus(feed: LiveFeed, placeName: string, lease: string): Promise<WebLeaseGpus> {
  const place = feed.place(placeName);
  const gpus = await place.call(leaseGpusOp, { lease, seconds: GPU_HISTORY_SECONDS }, quiet);
  return { v: WEB_VERSION, place: place.name, lease, gpus };
}

/**
 * The allocator's newest race of one Slurm lease: each strategy it weighed with its fate (kept and ranked, or
 * dropped, and why: `rv lease show --alloc`), and each submitted job's state in the race.
 */
export const WebRaceSchema = deferred(() =>
  z.object({
    lease: z.string(),
    attempt: z.number(),
    startedAt: z.string(),
    candidates: z.array(CandidateSchema),
    rows: z.array(RaceRowSchema),
    winner: z.nullable(z.object({ rank: z.number(), strategyId: z.string(), jobId: z.string() })),
  }),
);

/** The cluster's page: GPUs per partition and type (`rv resources`), and the last races of its leases. */
export const WebClusterSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    clusters: z.array(
      z.object({
        name: z.string(),
        where: z.string(),
        resources: z.nullable(resourcesOp.result),
        races: z.array(WebRaceSchema),
        error: z.nullable(z.string()),
      }),
    ),
  }),
);
export type WebCluster = z.infer<typeof WebClusterSchema>;

/** Races shown at most: the last Slurm leases listed (each is one more `rv lease show --alloc` across ssh). */
export const MAX_RACES = 4;

/** Every cluster's GPUs and the races of its Slurm leases (MAX_RACES at most), read now: on opening, on Refresh. */
export async function readClusters(feed: LiveFeed): Promise<WebCluster> {
  const snapshot = await feed.snapshot();
  const clusters = await Promise.all(
    feed.places("cluster").map(async (place) => {
      const leases = snapshot.leases
        .filter((l) => l.place === place.name && l.kind === "slurm")
        .slice(-MAX_RACES)
        .reverse();
      try {
        const [resources, ...races] = await Promise.all([
          place.call(resourcesOp, { partitions: [] }, quiet),
          // A lease that cannot be read (removed meanwhile) leaves its race out, not the cluster's GPUs.
          ...leases.map((l) => raceOf(place, l.id).catch(() => null)),
        ]);
        return { name: place.name, where: place.where, resources, races: races.flatMap((r) => r ?? []), error: null };
      } catch (error) {
        const message = (error instanceof Error ? error.message : String(error)).split("\n")[0] ?? "";
        return { name: place.name, where: place.where, resources: null, races: [], error: message };
      }
    }),
  );
  return { v: WEB_VERSION, clusters };
}

async function raceOf(place: Place, lease: string): Promise<z.infer<typeof WebRaceSchema> | null> {
  const { slurm } = await place.call(leaseShowOp, { lease, alloc: true }, quiet);
  const race = slurm?.alloc?.race;
  if (!slurm || !race) return null;
  const claim = slurm.alloc?.claim ?? null;
  return {
    lease,
    attempt: race.attempt,
    startedAt: race.startedAt,
    candidates: race.decision.candidates,
    rows: slurm.race ?? [],
    winner: claim ? { rank: claim.rank, strategyId: claim.strategyId, jobId: claim.jobId } : null,
  };
}

/** POST /api/leases/PLACE/ID/release: drain (default) or stop now, as `rv lease release [--now]`. */
export const ReleaseAskSchema = deferred(() => z.object({ now: z._default(z.boolean(), false) }));

/** POST /api/leases/PLACE/ID/submit: one command line, as `rv submit --shell` would take it. */
export const SubmitAskSchema = deferred(() =>
  z.object({
    shell: z.string().check(z.trim(), z.minLength(1, "the command is empty")),
    name: z.optional(
      z.pipe(
        z.string().check(z.trim()),
        z.transform((name) => name || undefined),
      ),
    ),
    gpus: z._default(z.int().check(z.gte(0)), 0),
    cpus: z._default(z.int().check(z.gte(1)), 1),
    cwd: z.optional(
      z.pipe(
        z.string().check(z.trim()),
        z.transform((cwd) => cwd || undefined),
      ),
    ),
  }),
);

export const WebLeaseActionSchema = deferred(() =>
  z.object({
    v: z.literal(WEB_VERSION),
    lease: z.string(),
    action: z.enum(["release", "submit"]),
    outcome: z.string(),
    /** The submitted task's id (submit). */
    task: z.nullable(z.string()),
  }),
);
export type WebLeaseAction = z.infer<typeof WebLeaseActionSchema>;

export async function releaseLease(feed: LiveFeed, placeName: string, lease: string, body: unknown) {
  const { now } = parseAsk(ReleaseAskSchema, body);
  const place = feed.place(placeName);
  const { mode, leases } = await place.call(leaseReleaseOp, { leases: [lease], now }, quiet);
  const cancelled = leases[0]?.cancelled.length ?? 0;
  const jobs = cancelled === 0 ? "" : `, ${plural(cancelled, "job")} cancelled`;
  const outcome = `released (${mode === "stop" ? "running tasks stopped" : "draining"}${jobs})`;
  feed.refreshSoon();
  return { v: WEB_VERSION, lease, action: "release", outcome, task: null } satisfies WebLeaseAction;
}

export async function submitToLease(
  feed: LiveFeed,
  placeName: string,
  lease: string,
  body: unknown,
  secretsFor: (place: Place) => Promise<Record<string, string>>,
) {
  const { shell, name, gpus, cpus, cwd } = parseAsk(SubmitAskSchema, body);
  const place = feed.place(placeName);
  const spec = { shell, gpus, cpus, ...(name && { name }), ...(cwd && { cwd }) };
  const secrets = await secretsFor(place);
  const { tasks, warnings } = await place.call(submitOp, { lease, specs: [spec], secrets }, quiet);
  const task = tasks[0]?.id ?? null;
  feed.refreshSoon();
  const outcome = [`submitted ${task ?? ""}`.trim(), ...warnings].join("; ");
  return { v: WEB_VERSION, lease, action: "submit", outcome, task } satisfies WebLeaseAction;
}

function parseAsk<T extends z.ZodMiniType>(schema: T, body: unknown): z.output<T> {
  const parsed = schema.safeParse(body ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new RvError("usage", `${issue?.path.join(".") || "body"}: ${issue?.message ?? "not understood"}`);
  }
  return parsed.data;
}
