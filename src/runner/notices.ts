import { type LeasePaths, leaseReleased, readDoneOne } from "../fsqueue/index.ts";
import { Notifier, SweepWatch } from "../notify/index.ts";
import type { RunnerExitReason, RunnerOptions } from "./options.ts";

/** How long a runner that is leaving waits for notifications still going out (its job may be ending). */
const EXIT_WAIT_MS = 15_000;

/**
 * What a runner tells through `rv notify`: the lease started (its first runner), a task's final failure, a sweep's
 * end, the lease released for idleness or released by a person. Each is sent once across the lease's runners
 * (the notifier's markers), and nothing here may stop a task: every step logs and goes on.
 */
export class RunnerNotices {
  private readonly notifier: Notifier;
  private readonly sweeps: SweepWatch;

  constructor(
    private readonly opts: RunnerOptions,
    private readonly paths: LeasePaths,
    runner: string,
    host: string,
  ) {
    this.notifier = new Notifier({ root: opts.root, by: runner, host, log: opts.log, env: opts.env });
    this.sweeps = new SweepWatch(paths);
  }

  started(): void {
    this.notifier.announce({ kind: "lease-started", lease: this.opts.lease });
  }

  /**
   * A task of the lease ended for good (its done/ record is written): a failure is told, unless it never started
   * because a dependency failed (that failure was told); the last point of a sweep ends the sweep.
   */
  taskEnded(taskId: string): void {
    try {
      const picked = this.notifier.picked();
      if (!picked.includes("task-failed") && !picked.includes("sweep-done")) return;
      const done = readDoneOne(this.paths, taskId);
      if (!done) return;
      const { task } = done;
      if (done.state === "failed" && done.depFailed === undefined) {
        this.notifier.announce({
          kind: "task-failed",
          lease: this.opts.lease,
          task: task.id,
          ...(task.name !== undefined && { name: task.name }),
          attempt: task.attempt,
          exitCode: done.exitCode,
          signal: done.signal,
          ...(done.reason !== undefined && { reason: done.reason }),
        });
      }
      const sweep = picked.includes("sweep-done") ? task.sweep?.id : undefined;
      const counts = sweep === undefined ? null : this.sweeps.over(sweep);
      if (sweep !== undefined && counts) {
        this.notifier.announce({ kind: "sweep-done", lease: this.opts.lease, sweep, counts });
      }
    } catch (error) {
      this.opts.log(`notifications for task ${taskId} skipped: ${String(error)}`);
    }
  }

  idleReleased(why: string): void {
    this.notifier.announce({ kind: "lease-idle", lease: this.opts.lease, why });
  }

  /** The runner is leaving: a lease released by a person ends here (an idle release was told already). */
  async leaving(reason: RunnerExitReason): Promise<void> {
    try {
      if (reason !== "idle-released" && leaseReleased(this.paths)) {
        this.notifier.announce({ kind: "lease-ended", lease: this.opts.lease, ended: "released" });
      }
    } catch (error) {
      this.opts.log(`lease-ended notification skipped: ${String(error)}`);
    }
    await this.notifier.settle(EXIT_WAIT_MS);
  }
}
