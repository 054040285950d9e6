import { existsSync, rmdirSync } from "node:fs";
import { hostname } from "node:os";
import {
  claimDir,
  controlFile,
  dependencyVerdict,
  doneStates,
  type EventInput,
  EventLog,
  ensureClaimDir,
  ensureLeaseDirs,
  type LeasePaths,
  leasePaths,
  leaseReleased,
  listControls,
  markLeaseReleased,
  newRunnerId,
  readClaimed,
  recordFile,
  requestControl,
  sweepTmp,
  unlinkIfPresent,
} from "../fsqueue/index.ts";
import { type ControlAction, controlActions, segmentTarget } from "./controls.ts";
import { type BeatFacts, HeartbeatWriter, type RunnerPhase } from "./heartbeat.ts";
import { idleVerdict, type LeaseActivity } from "./idle.ts";
import { InboxCache } from "./inbox.ts";
import {
  checkpointTask,
  claimAndStart,
  type Interruption,
  markInterrupted,
  type RunningTask,
  recordDepFailed,
  runningEntries,
  SEGMENT_END,
  stopTask,
  TASK_REQUEUE,
  type TaskContext,
} from "./lifecycle.ts";
import { RunnerNotices } from "./notices.ts";
import type { RunnerExit, RunnerExitReason, RunnerOptions } from "./options.ts";
import { placeTasks } from "./placement.ts";
import { ResourcePool } from "./pool.ts";
import { Recoverer } from "./recovery.ts";
import { detectCpus, detectGpus } from "./resources.ts";
import { USAGE_SAMPLE_MS, UsageSampler } from "./sampler.ts";
import { installScontrolShim, removeScontrolShim } from "./scontrol-shim.ts";
import { nextPollDelay, POLL_MAX_MS, POLL_MIN_MS, Waker, watchLease } from "./wake.ts";

type Mode = "running" | "draining" | "stopping";

const TMP_SWEEP_EVERY_MS = 3600_000;

/** An attempt whose claim a peer recovered while this runner was paused: it runs again elsewhere. */
const CLAIM_RECOVERED: Interruption = { reason: "its claim was recovered while this runner was paused", resume: false };

/**
 * One runner process of a lease: claims pending tasks that fit its GPUs and CPUs, runs them, records
 * their results, beats, recovers the claims of runners that died, and obeys `control/` and signals.
 */
export async function runRunner(opts: RunnerOptions): Promise<RunnerExit> {
  setPrivateUmask(opts.log);
  // A segment queued behind one that released the lease (idle, or a release that could not cancel it) may
  // still start: it must not serve a lease its owner gave up, nor hold the GPUs its job was granted.
  if (leaseReleased(leasePaths(opts.root, opts.lease))) {
    opts.log(`lease ${opts.lease} was released: the runner exits without serving it`);
    return { runner: newRunnerId(hostname(), process.pid), reason: "released", finished: 0, requeued: 0 };
  }
  const gpus = await detectGpus(opts.env, opts.gpuIds);
  const cpus = detectCpus(opts.env, opts.cpus);
  const runner = new Runner(opts, new ResourcePool(gpus.ids, cpus));
  opts.log(`runner ${runner.id}: gpus [${gpus.ids.join(",")}] from ${gpus.source}, cpus ${cpus}`);
  return runner.run();
}

class Runner {
  readonly id: string;
  private readonly host = hostname();
  private readonly paths: LeasePaths;
  private readonly startedAt = new Date();
  private readonly running = new Map<string, RunningTask>();
  private readonly stats = { finished: 0, requeued: 0 };
  private readonly waker = new Waker();
  private readonly heartbeat: HeartbeatWriter;
  private readonly events: EventLog;
  private readonly inbox: InboxCache;
  private readonly recoverer: Recoverer;
  private readonly notices: RunnerNotices;
  private readonly tasks: TaskContext;
  private readonly neverFits = new Set<string>();
  private readonly tooLongForSegment = new Set<string>();
  private mode: Mode = "running";
  private exitReason: RunnerExitReason = "drained";
  private drainDeadline: number | undefined;
  private pollDelay = POLL_MIN_MS;
  private nextListAt = 0;
  private lastTmpSweep = 0;
  /** Idle since the runner started: a lease nobody submits to is given back as well. */
  private idleSince: number | null = Date.now();
  private ticking: Promise<void> | undefined;

  constructor(
    private readonly opts: RunnerOptions,
    private readonly pool: ResourcePool,
  ) {
    this.paths = leasePaths(opts.root, opts.lease);
    this.id = newRunnerId(this.host, process.pid);
    this.heartbeat = new HeartbeatWriter(this.paths);
    this.events = new EventLog(this.paths, this.id);
    const emit = (event: EventInput) => this.emit(event);
    this.inbox = new InboxCache(this.paths, (key, reason) => this.quarantined(key, reason));
    this.notices = new RunnerNotices(opts, this.paths, this.id, this.host);
    const ended = (task: string) => this.notices.taskEnded(task);
    this.recoverer = new Recoverer({ ...this.recoveryFacts(), log: opts.log, emit, ended });
    this.tasks = {
      opts,
      paths: this.paths,
      runner: this.id,
      host: this.host,
      pool,
      running: this.running,
      stats: this.stats,
      emit,
      wake: () => this.waker.wake(),
      ended,
      sampler: new UsageSampler(opts.log),
    };
  }

  async run(): Promise<RunnerExit> {
    ensureLeaseDirs(this.paths);
    this.beat(); // a heartbeat exists before any claim: nobody mistakes our claim dir for an abandoned one
    this.tasks.pathFirst = this.installShim();
    ensureClaimDir(this.paths, this.id);
    this.emit({
      type: "runner-started",
      detail: `gpus=${this.pool.gpus.join(",")} cpus=${this.pool.cpus} segment=${this.opts.segment}`,
    });
    this.notices.started();
    const unhook = this.hookSignals();
    this.takeOver();
    let closeWatcher: (() => Promise<void>) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const stopSampling = this.tasks.sampler.every(USAGE_SAMPLE_MS, () => this.running.values());
    try {
      closeWatcher = await this.watch();
      await this.recoverer.sweep();
      timer = setInterval(() => {
        this.ticking ??= this.tick().finally(() => {
          this.ticking = undefined;
        });
      }, this.opts.heartbeatMs);
      await this.loop();
    } finally {
      clearInterval(timer);
      unhook();
      await this.ticking;
      await stopSampling();
      await closeWatcher?.();
      this.exit();
      await this.notices.leaving(this.exitReason);
      this.events.close();
    }
    return { runner: this.id, reason: this.exitReason, ...this.stats };
  }

  private async loop(): Promise<void> {
    for (;;) {
      this.pass();
      if (this.mode !== "running" && this.running.size === 0) return;
      await this.waker.wait(this.sleepMs(Date.now()));
    }
  }

  /** Until the next inbox listing is due (idle backoff), or the drain deadline; woken earlier by any event. */
  private sleepMs(now: number): number {
    const untilList = this.mode === "running" ? this.nextListAt - now : POLL_MAX_MS;
    const untilDeadline = this.drainDeadline === undefined ? POLL_MAX_MS : this.drainDeadline - now;
    return Math.max(1, Math.min(untilList, untilDeadline, POLL_MAX_MS));
  }

  /** One look at controls and the inbox. Errors (a full disk, a vanished directory) are logged, not fatal. */
  private pass(): void {
    try {
      this.obey(controlActions(listControls(this.paths), this.controlFacts()));
      if (this.drainDeadline !== undefined && Date.now() >= this.drainDeadline) {
        this.drainDeadline = Number.POSITIVE_INFINITY; // grace spent: interrupt once, then wait for the kills
        this.interruptAll();
      }
      if (this.mode === "running") this.dispatch();
    } catch (error) {
      this.opts.log(`pass failed: ${error instanceof Error ? error.stack : String(error)}`);
    }
  }

  private dispatch(): void {
    const now = Date.now();
    if (now >= this.nextListAt) {
      this.pollDelay = nextPollDelay(this.pollDelay, this.inbox.relist());
      this.nextListAt = now + this.pollDelay;
    }
    const clock = { now, endsAt: this.opts.segmentEndsAt };
    const ended = doneStates(this.paths);
    const placement = placeTasks(this.inbox.queue(), this.pool.free, this.pool.capacity, clock, {
      runningIn: runningCounter(this.paths),
      dependencies: (after) => dependencyVerdict(after, ended),
    });
    for (const key of placement.neverFits) this.reportNeverFits(key);
    for (const { key } of placement.depFailed) {
      this.inbox.removed(key);
      recordDepFailed(this.tasks, key);
    }
    for (const key of placement.tooLongForSegment) this.reportTooLongForSegment(key);
    for (const { key } of placement.assignments) {
      // The requeued copy of an attempt whose claim was recovered (keepClaimDir) waits until that one has ended.
      if (this.running.has(key)) continue;
      this.inbox.removed(key);
      claimAndStart(this.tasks, key);
    }
  }

  /**
   * Our claim directory is gone when a peer judged us stale (a pause: SIGSTOP, a laptop asleep) and recovered our
   * claims (PROTOCOL.md, Recover step 4): every claim would then fail as a lost race. Not dead after all, we create
   * it again, right after a beat (so nobody takes it for an abandoned one). The attempts we still run lost their
   * claims with it and were requeued: they are stopped (running on, each would run its task twice at once), and
   * their ends are dropped, their claims being gone (lifecycle.ts, recordEnd).
   */
  private keepClaimDir(): void {
    if (existsSync(claimDir(this.paths, this.id))) return;
    ensureClaimDir(this.paths, this.id);
    const lost = [...this.running.values()];
    this.opts.log(
      `own claim dir was gone (judged stale, claims recovered): created again; stopping ${lost.length} attempts`,
    );
    for (const entry of lost) stopTask(this.tasks, entry, CLAIM_RECOVERED);
  }

  private obey(actions: ControlAction[]): void {
    for (const action of actions) {
      if (action.kind === "segment-end") this.endSegment("segment end requested");
      else if (action.kind === "handover") this.beginDrain("handed-over", "the next segment took over the inbox");
      else if (action.kind === "drain") this.beginDrain("drained", "lease.drain requested");
      else if (action.kind === "stop") this.beginStop();
      else if (action.kind === "discard") unlinkIfPresent(controlFile(this.paths, action.task, action.verb));
      else if (action.kind === "task-requeue") this.requeueAskedByTask(action.task);
      else {
        const entry = this.running.get(action.task);
        if (entry && entry.stop === undefined) {
          this.opts.log(`${action.kind} of task ${action.task} requested (pid ${entry.pid})`);
          if (action.kind === "cancel") stopTask(this.tasks, entry, "cancel");
          else stopTask(this.tasks, entry, { reason: "requeue requested", resume: false });
        }
      }
    }
  }

  /**
   * The task ran `scontrol requeue` of this segment's job: as Slurm would, its processes are stopped now, and it
   * goes back to the inbox to resume. A task checkpointing at a segment end keeps that reason; it only does not
   * wait out the rest of the grace.
   */
  private requeueAskedByTask(task: string): void {
    const entry = this.running.get(task);
    if (entry === undefined || entry.killing !== undefined) return;
    this.opts.log(`task ${task} attempt ${entry.task.attempt} ran scontrol requeue: stopping it (pid ${entry.pid})`);
    stopTask(this.tasks, entry, TASK_REQUEUE);
  }

  /**
   * On a Slurm segment, the tasks' `scontrol requeue` of the segment's job requeues the task instead (scontrol-shim.ts).
   * Without the shim that request goes to Slurm, which refuses it (segments are `--no-requeue`).
   */
  private installShim(): string | undefined {
    const job = this.opts.env.SLURM_JOB_ID;
    if (this.opts.segment === "local" || job === undefined || !/^\d+$/.test(job)) return undefined;
    try {
      return installScontrolShim(this.paths, this.id, job);
    } catch (error) {
      this.opts.log(`scontrol shim not written: a task's scontrol requeue goes to Slurm: ${String(error)}`);
      return undefined;
    }
  }

  private controlFacts() {
    return {
      segment: this.opts.segment,
      attemptHere: (task: string) => this.running.get(task)?.task.attempt,
      isDone: (task: string) => existsSync(recordFile(this.paths.done, task)),
    };
  }

  /**
   * Overlap renewal: this segment started while the one before it still runs. The older segment's runners
   * stop claiming from here on and exit when what they run has ended, so their job gives its GPUs back before
   * its time. (Any runner of this segment may say so; the request is the same file.)
   */
  private takeOver(): void {
    const from = this.opts.takeOverFrom;
    if (from === undefined) return;
    requestControl(this.paths, segmentTarget(from), "drain", this.id, new Date());
    this.opts.log(`took the inbox over from segment ${from}`);
  }

  /** Stop claiming; with a grace (signals), tasks still running when it ends are interrupted. */
  private beginDrain(reason: RunnerExitReason, why: string, graceMs?: number): void {
    if (this.mode === "running") {
      this.mode = "draining";
      this.exitReason = reason;
      this.emit({ type: "draining", detail: why });
      this.opts.log(`draining: ${why} (${this.running.size} running)`);
      this.beat();
      this.waker.wake();
    }
    const deadline = graceMs === undefined ? undefined : Date.now() + graceMs;
    if (deadline !== undefined && (this.drainDeadline === undefined || deadline < this.drainDeadline)) {
      this.drainDeadline = deadline; // a segment end shortens a drain already under way
      this.waker.wake();
    }
  }

  /**
   * The segment's job is about to end (`control/segment-<n>.end`, written by the batch script when Slurm's
   * USR1 reaches it, or SIGUSR1 sent to the runner itself): stop claiming, send the tasks that asked
   * for it their checkpoint signal, and after the checkpoint grace stop what still runs. Every task this
   * interrupts goes back to the inbox to resume in the next segment.
   */
  private endSegment(why: string): void {
    if (this.exitReason === "segment-end") return;
    this.beginDrain("segment-end", `${why}: the segment is ending`, this.opts.checkpointGraceMs);
    if (this.mode !== "stopping") this.exitReason = "segment-end";
    for (const entry of this.running.values()) {
      try {
        checkpointTask(this.tasks, entry, SEGMENT_END);
      } catch (error) {
        // It is marked interrupted all the same: the end of the grace stops it and requeues it.
        this.opts.log(`task ${entry.task.id}: checkpoint signal not sent: ${String(error)}`);
      }
    }
  }

  /**
   * SIGTERM inside a Slurm segment: the job is being ended (scancel, time limit, preemption), and Slurm sends
   * SIGTERM to every task of the step as well. However the tasks end now, that is the job's end, not theirs:
   * each goes back to the inbox to resume in the next segment, and what still runs is stopped at once.
   */
  private jobEnding(): void {
    this.endSegment("SIGTERM: the job is ending");
    for (const entry of this.running.values()) markInterrupted(entry, SEGMENT_END);
    this.drainDeadline = Date.now();
    this.waker.wake();
  }

  private beginStop(): void {
    if (this.mode === "stopping") return;
    this.beginDrain("stopped", "lease.stop requested");
    this.mode = "stopping";
    this.exitReason = "stopped";
    this.interruptAll();
  }

  private interruptAll(): void {
    const why = this.interruption();
    for (const entry of this.running.values()) stopTask(this.tasks, entry, why);
  }

  private interruption(): Interruption {
    if (this.mode === "stopping") return { reason: "lease.stop", resume: false };
    if (this.exitReason === "segment-end") return SEGMENT_END;
    return { reason: "drain grace ran out", resume: false };
  }

  private hookSignals(): () => void {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signal === "SIGTERM" && this.opts.segmentEndsAt !== undefined) return this.jobEnding();
      if (this.drainDeadline !== undefined) {
        this.opts.log(`${signal} again: interrupting running tasks now`);
        this.drainDeadline = Date.now();
        this.waker.wake();
      }
      this.beginDrain("signal", `${signal} received`, this.opts.drainGraceMs);
    };
    const onAbort = () => this.beginDrain("aborted", "aborted", this.opts.drainGraceMs);
    const onSegmentEnd = () => this.endSegment("SIGUSR1");
    process.on("SIGTERM", onSignal);
    process.on("SIGINT", onSignal);
    process.on("SIGUSR1", onSegmentEnd);
    this.opts.signal?.addEventListener("abort", onAbort);
    if (this.opts.signal?.aborted) onAbort();
    return () => {
      process.off("SIGTERM", onSignal);
      process.off("SIGINT", onSignal);
      process.off("SIGUSR1", onSegmentEnd);
      this.opts.signal?.removeEventListener("abort", onAbort);
    };
  }

  private watch(): Promise<() => Promise<void>> {
    return watchLease(this.paths, {
      inboxAdded: (key) => {
        this.inbox.added(key);
        this.waker.wake();
      },
      inboxRemoved: (key) => {
        // A task that left (cancelled, claimed elsewhere) may have been what held the line: look again. Our own
        // claims left the view before their renames, so they wake nothing.
        if (this.inbox.removed(key)) this.waker.wake();
      },
      control: () => this.waker.wake(),
      error: (error) => this.opts.log(`watcher: ${String(error)}`),
    });
  }

  /** Every heartbeatMs: beat, look after the other runners, now and then sweep tmp/. */
  private async tick(): Promise<void> {
    try {
      this.checkIdle();
      this.beat();
      this.keepClaimDir();
      await this.recoverer.sweep();
      if (Date.now() - this.lastTmpSweep > TMP_SWEEP_EVERY_MS) {
        this.lastTmpSweep = Date.now();
        sweepTmp(this.paths, this.lastTmpSweep);
      }
    } catch (error) {
      this.opts.log(`heartbeat/recovery failed: ${String(error)}`);
    }
    this.waker.wake();
  }

  /** `--idle-release`: one look at the lease's activity; at the limit, give the lease back. */
  private checkIdle(): void {
    const limitMs = this.opts.idleReleaseMs;
    if (limitMs === undefined || this.mode !== "running") return;
    const verdict = idleVerdict(this.idleSince, this.leaseActivity(), Date.now(), limitMs);
    this.idleSince = verdict.idleSince;
    if (verdict.release) this.releaseIdleLease(limitMs);
  }

  /** Claims are listed only when this runner's own view is empty: a busy runner pays nothing. */
  private leaseActivity(): LeaseActivity {
    const pending = this.inbox.size;
    if (pending > 0 || this.running.size > 0) return { pending, claimed: this.running.size };
    return { pending, claimed: readClaimed(this.paths).length };
  }

  /**
   * Marks the lease released (so no segment renews it), asks every runner of the lease
   * to drain (the other nodes of a multi-node lease end with this one), and drains: with nothing running, the
   * runner exits and the segment's job ends. Queued segments are cancelled by the segment's last act
   * (`rv lease supervise --ending`); one that starts anyway finds the lease released and exits at once.
   * The lease's end is told first: a lease ends once (one notification), and another runner that finds the lease
   * released before this one told why would tell it ended as released by a person (seen on a loaded machine).
   */
  private releaseIdleLease(limitMs: number): void {
    const why = `nothing pending or running for ${Math.round(limitMs / 1000)} s (--idle-release)`;
    this.notices.idleReleased(why);
    if (markLeaseReleased(this.paths) === undefined) this.opts.log("no lease record to mark released");
    requestControl(this.paths, "lease", "drain", this.id, new Date());
    this.beginDrain("idle-released", `lease released: ${why}`);
  }

  private beat(state: RunnerPhase = this.mode === "running" ? "running" : "draining"): void {
    this.heartbeat.beat(this.beatFacts(state));
  }

  private beatFacts(state: RunnerPhase): BeatFacts {
    return {
      ...this.recoveryFacts(),
      runner: this.id,
      lease: this.opts.lease,
      node: this.opts.env.SLURMD_NODENAME || undefined,
      pid: process.pid,
      segment: this.opts.segment,
      startedAt: this.startedAt,
      state,
      running: runningEntries(this.running),
      gpus: this.pool.gpus,
      freeGpus: this.pool.freeGpus,
      cpus: this.pool.cpus,
      freeCpus: this.pool.freeCpus,
      tooLarge: this.stillTooLarge(),
    };
  }

  private recoveryFacts() {
    return { paths: this.paths, self: this.id, host: this.host, staleAfterMs: this.opts.staleAfterMs };
  }

  private exit(): void {
    try {
      rmdirSync(claimDir(this.paths, this.id));
    } catch (error) {
      this.opts.log(`own claim dir not removed: ${String(error)}`);
    }
    try {
      if (this.tasks.pathFirst !== undefined) removeScontrolShim(this.paths, this.id);
    } catch (error) {
      this.opts.log(`own scontrol shim not removed: ${String(error)}`);
    }
    this.beat("exited");
    this.emit({
      type: "runner-exited",
      detail: `${this.exitReason}: ${this.stats.finished} finished, ${this.stats.requeued} requeued`,
    });
    this.opts.log(`runner ${this.id} exited (${this.exitReason})`);
  }

  /** Events are the record others read, but failing to append one (a full disk) must not derail a task. */
  private emit(event: EventInput): void {
    try {
      this.events.append(event, new Date());
    } catch (error) {
      this.opts.log(`event ${event.type} ${event.task ?? ""} not recorded: ${String(error)}`);
    }
  }

  private quarantined(key: string, reason: string): void {
    this.opts.log(`quarantined inbox/${key}.json: ${reason}`);
    this.emit({ type: "quarantined", detail: `${key}: ${reason}` });
  }

  private reportTooLongForSegment(key: string): void {
    if (this.tooLongForSegment.has(key)) return;
    this.tooLongForSegment.add(key);
    const endsAt = new Date(this.opts.segmentEndsAt ?? 0).toISOString();
    this.opts.log(`task ${key} needs longer than this segment has left (it ends at ${endsAt}); left for the next`);
  }

  /** The tasks reported as never fitting that still wait in the inbox (claimed by a larger runner, cancelled: gone). */
  private stillTooLarge(): string[] {
    for (const key of this.neverFits) if (!this.inbox.holds(key)) this.neverFits.delete(key);
    return [...this.neverFits];
  }

  private reportNeverFits(key: string): void {
    if (this.neverFits.has(key)) return;
    this.neverFits.add(key);
    this.opts.log(
      `task ${key} needs more than this runner has (${this.pool.gpus.length} GPUs, ${this.pool.cpus} CPUs); left for a bigger runner`,
    );
  }
}

/** Logs and records stay private to the user. Worker threads cannot change the umask; say so and go on. */
function setPrivateUmask(log: (line: string) => void): void {
  try {
    process.umask(0o077);
  } catch (error) {
    log(`could not set umask 077: ${String(error)}`);
  }
}

/**
 * Tasks of each `--max-running` group running now in the lease, by every runner: read from `claimed/` once per
 * dispatch, and only when a capped task is considered.
 */
function runningCounter(paths: LeasePaths): (group: string) => number {
  let counts: Map<string, number> | undefined;
  return (group) => {
    if (!counts) {
      counts = new Map();
      for (const { task } of readClaimed(paths)) {
        if (task.maxRunning) counts.set(task.maxRunning.group, (counts.get(task.maxRunning.group) ?? 0) + 1);
      }
    }
    return counts.get(group) ?? 0;
  };
}
