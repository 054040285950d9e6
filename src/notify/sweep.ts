import { createHash } from "node:crypto";
import {
  type Done,
  DoneSchema,
  type LeasePaths,
  listRecordKeys,
  readClaimed,
  readPending,
  recordFile,
  tryReadRecord,
} from "../fsqueue/index.ts";
import type { SweepCounts } from "./event.ts";

/** A point's identity: its parameters, whatever order they were written in. */
function pointKey(point: Record<string, string>): string {
  return JSON.stringify(Object.entries(point).sort(([a], [b]) => a.localeCompare(b)));
}

/** The sweep's size as its points recorded it (the largest, for a sweep that grew under one `--sweep` id). */
export function sweepSize(records: readonly Done[]): number | undefined {
  const sizes = records.flatMap((d) => (d.task.sweep?.points === undefined ? [] : [d.task.sweep.points]));
  return sizes.length > 0 ? Math.max(...sizes) : undefined;
}

/**
 * How a sweep ended, from the done/ records of its points: null while fewer points have ended than it has (or
 * its size is unknown: points submitted by an rv that did not record it). A point submitted again (a resumed
 * sweep) counts once, as its newest task ended. `round` is a digest of every ended attempt, so a sweep that ends
 * again after a resubmission or a requeue is a new round, while runners that see the same end agree on it.
 */
export function tallySweep(records: readonly Done[]): SweepCounts | null {
  const points = sweepSize(records);
  if (points === undefined) return null;
  const newest = new Map<string, Done>();
  for (const d of records) {
    const key = pointKey(d.task.sweep?.point ?? {});
    const seen = newest.get(key);
    if (!seen || seen.task.id < d.task.id) newest.set(key, d);
  }
  if (newest.size < points) return null;
  const counts = { points: newest.size, succeeded: 0, failed: 0, cancelled: 0 };
  for (const d of newest.values()) counts[d.state]++;
  const attempts = records.map((d) => `${d.task.id}.${d.task.attempt}`).sort();
  const round = createHash("sha256").update(attempts.join("\n")).digest("hex").slice(0, 10);
  return { ...counts, round };
}

/**
 * Tells when a sweep of a lease is over, for a runner that just ended one of its points. Cheap while the sweep
 * runs: the done/ records are parsed once each (kept by name, evicted when their file goes), and counting the
 * sweep's ended points is enough to say "not yet". Only when every point has ended is the rest of the queue read
 * (claims, then the inbox: a requeued or resubmitted point is under way again) and the sweep's records read
 * afresh for the counts.
 */
export class SweepWatch {
  private readonly done = new Map<string, Done | null>();

  constructor(private readonly paths: LeasePaths) {}

  over(sweep: string): SweepCounts | null {
    const ended = this.endedPoints(sweep);
    if (tallySweep(ended) === null) return null;
    if (readClaimed(this.paths).some((c) => c.task.sweep?.id === sweep)) return null;
    if (readPending(this.paths).some((e) => e.task.sweep?.id === sweep)) return null;
    const fresh = ended.flatMap((d) => {
      const parsed = tryReadRecord(recordFile(this.paths.done, d.task.id), DoneSchema);
      return parsed?.ok ? [parsed.value] : [];
    });
    return tallySweep(fresh);
  }

  private endedPoints(sweep: string): Done[] {
    const names = listRecordKeys(this.paths.done);
    const present = new Set(names);
    for (const name of this.done.keys()) if (!present.has(name)) this.done.delete(name);
    const records: Done[] = [];
    for (const name of names) {
      let record = this.done.get(name);
      if (record === undefined) {
        const parsed = tryReadRecord(recordFile(this.paths.done, name), DoneSchema);
        record = parsed?.ok ? parsed.value : null;
        if (parsed !== undefined) this.done.set(name, record);
      }
      if (record?.task.sweep?.id === sweep) records.push(record);
    }
    return records;
  }
}
