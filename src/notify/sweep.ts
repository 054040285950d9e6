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
  /** Parsed records by file, for counting; a requeue may replace one, so the final counts are read afresh. */
  private readonly done = new Map<string, Done | null>();

  constructor(private readonly paths: LeasePaths) {}

  over(sweep: string): SweepCounts | null {
    const ended = this.endedPoints(sweep);
    if (tallySweep(ended) === null) return null;
    if (readClaimed(this.paths).some((c) => c.task.sweep?.id === sweep)) return null;
    if (readPending(this.paths).some((e) => e.task.sweep?.id === sweep)) return null;
    const fresh = ended.flatMap((d) => {
      const file = [this.paths.done, this.paths.archive].map((dir) => recordFile(dir, d.task.id));
      const parsed = tryReadRecord(file[0] as string, DoneSchema) ?? tryReadRecord(file[1] as string, DoneSchema);
      return parsed?.ok ? [parsed.value] : [];
    });
    return tallySweep(fresh);
  }

  /** Points that ended, in done/ or put away since by `rv clean` (archive/). */
  private endedPoints(sweep: string): Done[] {
    const records = [...this.recordsIn(this.paths.done), ...this.recordsIn(this.paths.archive)];
    return records.filter((record) => record.task.sweep?.id === sweep);
  }

  private recordsIn(dir: string): Done[] {
    const files = listRecordKeys(dir).map((name) => recordFile(dir, name));
    const present = new Set(files);
    for (const file of this.done.keys()) if (file.startsWith(dir) && !present.has(file)) this.done.delete(file);
    const records: Done[] = [];
    for (const file of files) {
      let record = this.done.get(file);
      if (record === undefined) {
        const parsed = tryReadRecord(file, DoneSchema);
        record = parsed?.ok ? parsed.value : null;
        if (parsed !== undefined) this.done.set(file, record);
      }
      if (record) records.push(record);
    }
    return records;
  }
}
