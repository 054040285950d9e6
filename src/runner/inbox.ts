import {
  type LeasePaths,
  listRecordKeys,
  quarantine,
  recordFile,
  TaskSchema,
  tryReadRecord,
} from "../fsqueue/index.ts";
import type { QueuedTask } from "./placement.ts";

/**
 * The runner's view of `inbox/`: the pending keys in dispatch order and, per key, the placement facts read
 * from its record once. Refreshed by a full listing now and then and by watcher events in between, so a
 * busy runner neither lists nor re-reads the whole inbox for every task it starts.
 */
export class InboxCache {
  private keys: string[] = [];
  private readonly facts = new Map<string, QueuedTask>();

  constructor(
    private readonly paths: LeasePaths,
    private readonly onBad: (key: string, reason: string) => void,
  ) {}

  get size(): number {
    return this.keys.length;
  }

  /** Full listing; returns whether it found keys we did not know. */
  relist(): boolean {
    const listed = listRecordKeys(this.paths.inbox);
    const known = new Set(this.keys);
    const fresh = listed.some((key) => !known.has(key));
    const present = new Set(listed);
    for (const key of this.facts.keys()) if (!present.has(key)) this.facts.delete(key);
    this.keys = listed;
    return fresh;
  }

  /** Whether `key` is pending, as far as this view knows. */
  holds(key: string): boolean {
    return this.keys[lowerBound(this.keys, key)] === key;
  }

  /** A record appeared or was replaced under `key`: (re)read its facts when next needed. */
  added(key: string): void {
    this.facts.delete(key);
    const at = lowerBound(this.keys, key);
    if (this.keys[at] !== key) this.keys.splice(at, 0, key);
  }

  /** Whether `key` was in the view: a key it did not hold (one this runner claimed) changes nothing. */
  removed(key: string): boolean {
    this.facts.delete(key);
    const at = lowerBound(this.keys, key);
    if (this.keys[at] !== key) return false;
    this.keys.splice(at, 1);
    return true;
  }

  /**
   * Pending tasks in key order, facts read lazily: the caller stops iterating once nothing more fits.
   * Records that vanished (claimed elsewhere) are dropped; invalid ones are quarantined.
   */
  *queue(): Generator<QueuedTask> {
    const gone: string[] = [];
    try {
      for (const key of this.keys) {
        const facts = this.facts.get(key) ?? this.read(key);
        if (facts === undefined) gone.push(key);
        else yield facts;
      }
    } finally {
      for (const key of gone) this.removed(key);
    }
  }

  private read(key: string): QueuedTask | undefined {
    const file = recordFile(this.paths.inbox, key);
    const parsed = tryReadRecord(file, TaskSchema);
    if (parsed === undefined) return undefined;
    if (!parsed.ok) {
      if (quarantine(this.paths, file, parsed.reason)) this.onBad(key, parsed.reason);
      return undefined;
    }
    const { gpus, cpus, strictOrder, timeRequestMs, maxRunning, notBefore, after } = parsed.value;
    const facts = {
      key,
      gpus,
      cpus,
      strictOrder,
      ...(timeRequestMs !== undefined && { timeRequestMs }),
      ...(maxRunning !== undefined && { maxRunning }),
      ...(notBefore !== undefined && { notBefore: Date.parse(notBefore) }),
      ...(after !== undefined && { after }),
    };
    this.facts.set(key, facts);
    return facts;
  }
}

function lowerBound(sorted: readonly string[], key: string): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as string) < key) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
