import { existsSync, type FSWatcher, watch } from "node:fs";
import { join } from "node:path";

/** The loop sleeps on this; anything that may give it work (a file event, a task exit, a signal) wakes it. */
export class Waker {
  private pending = false;
  private release: (() => void) | undefined;

  wake(): void {
    const release = this.release;
    if (release) {
      this.release = undefined;
      release();
    } else {
      this.pending = true;
    }
  }

  /**
   * Resolves at the next wake, or after `ms` when nothing happens. A wake that came while the loop was busy
   * still goes through the event loop (setImmediate), so timers and I/O keep their turn.
   */
  wait(ms: number): Promise<void> {
    if (this.pending) {
      this.pending = false;
      return new Promise((resolve) => setImmediate(resolve));
    }
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.release = undefined;
        resolve();
      }, ms);
      this.release = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** Idle polling backs off from 50 ms to 1 s; anything new resets it. */
export const POLL_MIN_MS = 50;
export const POLL_MAX_MS = 1000;

export function nextPollDelay(current: number, foundWork: boolean): number {
  return foundWork ? POLL_MIN_MS : Math.min(POLL_MAX_MS, current * 2);
}

export interface WatchHandlers {
  inboxAdded: (key: string) => void;
  inboxRemoved: (key: string) => void;
  control: () => void;
  error: (error: unknown) => void;
}

/**
 * A watcher on `inbox/` and `control/` where the filesystem supports one (on a network filesystem it may
 * stay silent or refuse, and the poll does the work). Node's own inotify watcher, not chokidar: chokidar
 * re-reads and stats the whole directory after changes, which costs a core with 10,000 tasks waiting.
 * Returns a function that closes it.
 */
export async function watchLease(
  dirs: { inbox: string; control: string },
  on: WatchHandlers,
): Promise<() => Promise<void>> {
  const watchers: FSWatcher[] = [];
  try {
    watchers.push(
      watch(dirs.inbox, (_event, name) => {
        if (!name || name.startsWith(".") || !name.endsWith(".json")) return;
        const key = name.slice(0, -".json".length);
        if (existsSync(join(dirs.inbox, name))) on.inboxAdded(key);
        else on.inboxRemoved(key);
      }),
      watch(dirs.control, () => on.control()),
    );
  } catch (error) {
    on.error(error);
  }
  for (const watcher of watchers) watcher.on("error", on.error);
  return async () => {
    for (const watcher of watchers) watcher.close();
  };
}
