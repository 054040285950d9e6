import { RvError } from "../errors.ts";
import type { TaskView } from "../lease/index.ts";
import { type Place, silentSink, tuiOp } from "../ops/index.ts";
import type { TuiLog, TuiLogAsk, TuiSnapshot } from "../ops/tui-snapshot.ts";
import { lastMetrics } from "./metrics.ts";
import { type PlaceStatus, WEB_VERSION, type WebLog, type WebSnapshot, type WebSweepMetrics } from "./schema.ts";

/** A place to read, and how often: this machine every second, a cluster every two (one ssh round trip each). */
export interface FeedSource {
  place: Place;
  everyMs: number;
}

export type LogStream = TuiLog["stream"];

/** An open page: the log it follows and the sweep it charts, if any, and where its events go (each already JSON). */
export interface Watcher {
  log: { taskId: string; stream: LogStream } | null;
  sweep?: string | null;
  onSnapshot(json: string): void;
  onLog(json: string): void;
  onSweep?(json: string): void;
}

/** How much of a followed log one refresh reads: many screens, never a whole log of gigabytes. */
export const LOG_TAIL_BYTES = 64 * 1024;

/**
 * A sweep's metrics come from the end of each point's stdout: this much of it, for this many points at most (the
 * first by id), so that a refresh of a sweep of thousands reads a bounded amount. A point that has ended is read
 * once (its log no longer changes); only running ones are read again on each refresh.
 */
export const SWEEP_TAIL_BYTES = 4 * 1024;
export const SWEEP_MAX_POINTS = 300;

/** A point's last metrics, and whether they are final (read after its attempt ended). */
interface PointMetrics {
  attempt: number;
  final: boolean;
  metrics: Record<string, number>;
}

interface PlaceFeed {
  source: FeedSource;
  status: PlaceStatus;
  read: TuiSnapshot | null;
  running: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  /** The read in flight, which a snapshot asked meanwhile joins rather than read the place again. */
  reading: Promise<void> | null;
  /** When the last read ended (ms): a snapshot asked sooner than `everyMs` after it is that read's. */
  readAtMs: number;
}

/**
 * The one reader behind every open page: while any page watches, each place is read on its own clock with the
 * TUI's op (leases, runners, tasks, and the tail of every log some page follows, in one call), and each refresh is
 * turned into JSON once and sent to every page. A place that is slow or out of reach holds up no other.
 */
export class LiveFeed {
  private readonly feeds: PlaceFeed[];
  private readonly watchers = new Set<Watcher>();
  private last: { snapshot: WebSnapshot; json: string } | null = null;
  private readonly pointMetrics = new Map<string, PointMetrics>();
  private closed = false;
  /** Aborted on close: a read still going (an ssh round trip) stops with the server. */
  private readonly closing = new AbortController();

  constructor(
    sources: FeedSource[],
    private readonly now: () => Date = () => new Date(),
  ) {
    this.feeds = sources.map((source) => ({
      source,
      status: {
        name: source.place.name,
        kind: source.place.kind,
        where: source.place.where,
        everyMs: source.everyMs,
        lastOkAt: null,
        error: null,
      },
      read: null,
      running: false,
      timer: undefined,
      reading: null,
      readAtMs: 0,
    }));
  }

  /** Sends the last snapshot at once, then every refresh, until the returned function is called. */
  watch(watcher: Watcher): () => void {
    this.watchers.add(watcher);
    if (this.last) watcher.onSnapshot(this.last.json);
    for (const feed of this.feeds) if (!feed.running && !this.closed) void this.tick(feed);
    return () => {
      this.watchers.delete(watcher);
    };
  }

  /**
   * The last refresh while pages watch; else every place read now, unless a read of it is in flight (joined) or
   * ended less than its `everyMs` ago: a script polling /api/snapshot with no page open costs a place one read
   * per refresh at most, however often it asks.
   */
  async snapshot(): Promise<WebSnapshot> {
    if (!this.last || this.watchers.size === 0) {
      const fresh = (feed: PlaceFeed) => this.last && Date.now() - feed.readAtMs < feed.source.everyMs;
      await Promise.all(this.feeds.map((feed) => feed.reading ?? (fresh(feed) ? undefined : this.read(feed))));
    }
    return (this.last ?? this.publish()).snapshot;
  }

  /** The place and lease holding a task (by full id), read afresh when no refresh has seen it yet. */
  async placeOfTask(id: string): Promise<{ place: Place; lease: string }> {
    let found = this.find(id);
    if (!found) {
      await this.snapshot();
      found = this.find(id);
    }
    if (!found) throw new RvError("not_found", `no task ${id} in the leases shown`, { hint: "rv tasks lists them" });
    return found;
  }

  /** The tail of one task's log, read now. */
  async log(id: string, stream: LogStream): Promise<WebLog> {
    const { place, lease } = await this.placeOfTask(id);
    const ask: TuiLogAsk = { taskId: id, lease, stream, tailBytes: LOG_TAIL_BYTES };
    const read = await place.call(tuiOp, { lease, logs: [ask] }, { sink: silentSink, signal: this.closing.signal });
    const log = read.logs[0] ?? { taskId: id, stream, text: "", bytes: 0 };
    return { v: WEB_VERSION, ...log };
  }

  /** A place by its name ("local", or a cluster's): where a lease's page and actions go. */
  place(name: string): Place {
    const feed = this.feeds.find((f) => f.source.place.name === name);
    if (!feed) throw new RvError("not_found", `no place ${name} here`, { hint: "rv ui shows local and its cluster" });
    return feed.source.place;
  }

  places(kind: Place["kind"]): Place[] {
    return this.feeds.map((f) => f.source.place).filter((p) => p.kind === kind);
  }

  /** After an action: every place idle between refreshes is read now, so pages see its effect at once. */
  refreshSoon(): void {
    for (const feed of this.feeds) {
      if (feed.timer === undefined || this.closed) continue;
      clearTimeout(feed.timer);
      feed.timer = setTimeout(() => void this.tick(feed), 0);
    }
  }

  /** Stops every clock; pages still open get nothing more. */
  close(): void {
    this.closed = true;
    this.closing.abort();
    for (const feed of this.feeds) clearTimeout(feed.timer);
    this.watchers.clear();
  }

  private find(id: string): { place: Place; lease: string } | undefined {
    for (const feed of this.feeds) {
      const task = feed.read?.tasks.find((t) => t.id === id);
      if (task) return { place: feed.source.place, lease: task.lease };
    }
    return undefined;
  }

  /** One refresh of one place, then the next on its clock, for as long as any page watches. */
  private async tick(feed: PlaceFeed): Promise<void> {
    if (this.closed || this.watchers.size === 0) {
      feed.running = false;
      return;
    }
    feed.running = true;
    feed.timer = undefined; // set again once this read is over: refreshSoon cuts short a wait, never a read
    const started = Date.now();
    const logs = this.logsWanted(feed);
    await this.read(feed, logs);
    if (this.closed) return;
    this.sendLogs(feed, logs);
    this.sendSweeps(feed);
    // A read that found points to chart it had not asked for (the first read of a sweep's page, new points
    // started) reads their logs at once rather than a refresh later.
    const asked = new Set(logs.map((l) => `${l.taskId}/${l.stream}`));
    const more = this.logsWanted(feed).some((l) => !asked.has(`${l.taskId}/${l.stream}`));
    const wait = more ? 0 : Math.max(0, feed.source.everyMs - (Date.now() - started));
    feed.timer = setTimeout(() => void this.tick(feed), wait);
  }

  private read(feed: PlaceFeed, logs: TuiLogAsk[] = []): Promise<void> {
    const reading = this.readNow(feed, logs).finally(() => {
      feed.readAtMs = Date.now();
      if (feed.reading === reading) feed.reading = null;
    });
    feed.reading = reading;
    return reading;
  }

  private async readNow(feed: PlaceFeed, logs: TuiLogAsk[]): Promise<void> {
    try {
      const options = { sink: silentSink, signal: this.closing.signal };
      feed.read = await feed.source.place.call(tuiOp, { lease: null, logs }, options);
      feed.status = { ...feed.status, lastOkAt: this.now().toISOString(), error: null };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      feed.status = { ...feed.status, error: message.split("\n")[0] ?? "" };
    }
    if (this.closed) return;
    const { json } = this.publish();
    for (const watcher of this.watchers) watcher.onSnapshot(json);
  }

  /** Every place's last read as one snapshot, turned into JSON once for all the pages. */
  private publish(): { snapshot: WebSnapshot; json: string } {
    const snapshot: WebSnapshot = {
      v: WEB_VERSION,
      at: this.now().toISOString(),
      places: this.feeds.map((feed) => feed.status),
      leases: this.feeds.flatMap((feed) => (feed.read?.leases ?? []).map((l) => ({ ...l, place: feed.status.name }))),
      tasks: this.feeds.flatMap((feed) => feed.read?.tasks ?? []),
    };
    this.last = { snapshot, json: JSON.stringify(snapshot) };
    return this.last;
  }

  /**
   * The logs pages follow of this place's tasks, and the stdout tails of the points of the sweeps they chart whose
   * metrics may still change: each once however many pages want it.
   */
  private logsWanted(feed: PlaceFeed): TuiLogAsk[] {
    const asks = new Map<string, TuiLogAsk>();
    for (const { sweep } of this.watchers) {
      if (!sweep) continue;
      for (const task of this.pointsOf(sweep, feed)) {
        const known = this.pointMetrics.get(task.id);
        if (!task.startedAt || (known?.final && known.attempt === task.attempt)) continue;
        const ask = { taskId: task.id, lease: task.lease, stream: "stdout" as const, tailBytes: SWEEP_TAIL_BYTES };
        asks.set(`${task.id}/stdout`, ask);
      }
    }
    for (const { log } of this.watchers) {
      const task = log && feed.read?.tasks.find((t) => t.id === log.taskId);
      if (!log || !task) continue;
      asks.set(`${log.taskId}/${log.stream}`, { ...log, lease: task.lease, tailBytes: LOG_TAIL_BYTES });
    }
    return [...asks.values()];
  }

  /** A sweep's points among this place's tasks (as `rv sweep show` picks them: by id), the first SWEEP_MAX_POINTS. */
  private pointsOf(sweep: string, feed: PlaceFeed): TaskView[] {
    return (feed.read?.tasks ?? [])
      .filter((t) => t.sweep?.id === sweep)
      .sort((a, b) => a.id.localeCompare(b.id))
      .slice(0, SWEEP_MAX_POINTS);
  }

  /** Each charted sweep's metrics, after a refresh of a place that holds points of it: one JSON per sweep. */
  private sendSweeps(feed: PlaceFeed): void {
    const tasks = new Map((feed.read?.tasks ?? []).map((t) => [t.id, t]));
    for (const log of feed.read?.logs ?? []) {
      const task = tasks.get(log.taskId);
      if (!task?.sweep || log.stream !== "stdout") continue;
      const final = task.state !== "running" && task.state !== "pending" && task.state !== "blocked";
      this.pointMetrics.set(task.id, { attempt: task.attempt, final, metrics: lastMetrics(log.text) });
    }
    const sent = new Map<string, string>();
    for (const watcher of this.watchers) {
      const sweep = watcher.sweep;
      if (!sweep || !watcher.onSweep || !feed.read?.tasks.some((t) => t.sweep?.id === sweep)) continue;
      let json = sent.get(sweep);
      if (!json) {
        json = JSON.stringify(this.sweepMetrics(sweep));
        sent.set(sweep, json);
      }
      watcher.onSweep(json);
    }
  }

  private sweepMetrics(sweep: string): WebSweepMetrics {
    const points = this.feeds.flatMap((feed) => this.pointsOf(sweep, feed));
    const metrics: WebSweepMetrics["metrics"] = {};
    for (const task of points) {
      const known = this.pointMetrics.get(task.id);
      if (known) metrics[task.id] = known.metrics;
    }
    const all = this.feeds.reduce(
      (sum, feed) => sum + (feed.read?.tasks.filter((t) => t.sweep?.id === sweep).length ?? 0),
      0,
    );
    return { v: WEB_VERSION, sweep, metrics, points: all, read: points.length };
  }

  private sendLogs(feed: PlaceFeed, asked: TuiLogAsk[]): void {
    if (asked.length === 0 || !feed.status.lastOkAt || feed.status.error) return;
    const json = new Map<string, string>();
    for (const log of feed.read?.logs ?? []) {
      json.set(`${log.taskId}/${log.stream}`, JSON.stringify({ v: WEB_VERSION, ...log } satisfies WebLog));
    }
    for (const watcher of this.watchers) {
      const text = watcher.log && json.get(`${watcher.log.taskId}/${watcher.log.stream}`);
      if (text) watcher.onLog(text);
    }
  }
}
