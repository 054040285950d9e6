import { mkdirSync, renameSync } from "node:fs";
import { type Observation, observe } from "./liveness.ts";
import { type LeasePaths, observationsFile } from "./paths.ts";
import { tryReadRecord } from "./records.ts";
import { type Heartbeat, ObservationsSchema, PROTOCOL_VERSION } from "./schema.ts";
import { stageFile } from "./staging.ts";

/**
 * A one-shot observer's memory of the heartbeats, kept in `observed/<observer-host>.json`: the counter of each
 * runner and when this host first saw it. A runner whose counter stood still across calls for longer than the
 * stale threshold is stale, by this host's clock alone (a runner on this host whose pid is dead, at once).
 * Failing to save only loses memory, never a read; so does a crash, which is why the file is written whole and
 * renamed into place but not fsynced (PROTOCOL.md, Liveness): a power cut may leave it missing or empty, read as
 * a first look. Every one-shot call that sees a heartbeat move saves (a submit while tasks run, each time), and an
 * fsync there was a disk flush on the path of every such `rv submit`.
 */
export function recallObservations(
  p: LeasePaths,
  observerHost: string,
  heartbeats: readonly Heartbeat[],
  nowMs: number,
): Map<string, Observation> {
  const beating = heartbeats.filter((hb) => hb.state !== "exited");
  if (beating.length === 0) return new Map();
  const file = observationsFile(p, observerHost);
  const stored = tryReadRecord(file, ObservationsSchema);
  const previous = stored?.ok ? stored.value.runners : {};
  const next = new Map(beating.map((hb) => [hb.runner, observe(previous[hb.runner], hb, nowMs)]));
  const changed =
    next.size !== Object.keys(previous).length ||
    [...next].some(([runner, o]) => previous[runner]?.counter !== o.counter);
  if (changed) save(p, file, observerHost, next);
  return next;
}

function save(p: LeasePaths, file: string, observer: string, runners: Map<string, Observation>): void {
  try {
    mkdirSync(p.observed, { recursive: true, mode: 0o700 });
    const record = { v: PROTOCOL_VERSION, observer, runners: Object.fromEntries(runners) };
    const staged = stageFile(p.tmp, file, `${JSON.stringify(ObservationsSchema.parse(record))}\n`, false);
    renameSync(staged.staging, staged.target);
  } catch {
    // A read-only or full filesystem: this call still answers; the next one starts its memory afresh.
  }
}
