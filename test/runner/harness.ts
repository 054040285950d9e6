import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { execa, type ResultPromise } from "execa";
import { afterEach, beforeEach } from "vitest";
import {
  type Done,
  ensureLeaseDirs,
  type LeasePaths,
  leasePaths,
  type RvEvent,
  readDoneOne,
  readEvents,
  taskLogFile,
} from "../../src/fsqueue/index.ts";
import { type RunnerExit, type RunnerOptions, runRunner } from "../../src/runner/index.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";

/** Fast timings for tests: a second runner notices a dead one within about two seconds. */
export const FAST = {
  heartbeatMs: 200,
  staleAfterMs: 1500,
  drainGraceMs: 5000,
  killGraceMs: 1000,
  checkpointGraceMs: 3000,
} as const;

export interface InProcessRunner {
  exit: Promise<RunnerExit>;
  log: string[];
  /** Drains like SIGTERM would (running tasks get drainGraceMs). */
  stop: () => Promise<RunnerExit>;
}

/** Starts runRunner in this process against a test RV_HOME. */
export function startRunner(root: string, lease: string, overrides: Partial<RunnerOptions> = {}): InProcessRunner {
  const controller = new AbortController();
  const log: string[] = [];
  const exit = runRunner({
    root,
    lease,
    segment: "local",
    ...FAST,
    env: { PATH: process.env.PATH, HOME: process.env.HOME },
    log: (line) => log.push(line),
    signal: controller.signal,
    ...overrides,
  });
  return {
    exit,
    log,
    stop: () => {
      controller.abort();
      return exit;
    },
  };
}

/** The lease's directories, created as `rv lease up` would before any submit. */
export function paths(root: string, lease: string): LeasePaths {
  const p = leasePaths(root, lease);
  ensureLeaseDirs(p);
  return p;
}

export function waitDone(p: LeasePaths, id: string, timeoutMs = 20_000): Promise<Done> {
  return waitFor(() => readDoneOne(p, id), { timeoutMs, what: `done/${id}.json` });
}

export function allEvents(p: LeasePaths): RvEvent[] {
  const runners = readdirSync(p.events).map((name) => name.replace(/\.jsonl$/, ""));
  return runners.flatMap((runner) => readEvents(p, runner)).sort((a, b) => a.time.localeCompare(b.time));
}

export function eventsOf(p: LeasePaths, type: RvEvent["type"], task?: string): RvEvent[] {
  return allEvents(p).filter((event) => event.type === type && (task === undefined || event.task === task));
}

export function taskLog(p: LeasePaths, id: string, attempt: number, stream: "out" | "err"): string {
  try {
    return readFileSync(taskLogFile(p, id, attempt, stream), "utf8");
  } catch {
    return "";
  }
}

/** Whether a process is still running (a zombie waiting to be reaped counts as gone). */
export function processRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^[ZX]$/.test(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0] ?? "");
  } catch {
    return false;
  }
}

export function readPids(file: string): number[] {
  try {
    return readFileSync(file, "utf8").split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const REPO = join(import.meta.dirname, "..", "..");
const BUN = join(REPO, "node_modules", ".bin", "bun");
const FIXTURE = join(import.meta.dirname, "fixtures", "run-runner.ts");

/**
 * A runner in a separate process (run by Bun, as the shipped binary is), for tests that kill -9 it or
 * send it signals. Timings as FAST unless `env` says otherwise.
 */
export function spawnRunner(
  root: string,
  lease: string,
  options: { gpuIds?: string[]; cpus?: number; idleReleaseMs?: number; env?: Record<string, string> } = {},
): ResultPromise<{ reject: false; stdin: "ignore"; env: Record<string, string> }> {
  const args = [
    FIXTURE,
    root,
    lease,
    options.gpuIds?.join(",") ?? "-",
    ...(options.cpus || options.idleReleaseMs ? [options.cpus ? String(options.cpus) : "-"] : []),
    ...(options.idleReleaseMs ? [String(options.idleReleaseMs)] : []),
  ];
  return execa(BUN, args, {
    reject: false,
    stdin: "ignore",
    env: {
      RV_HEARTBEAT_MS: String(FAST.heartbeatMs),
      RV_STALE_AFTER_MS: String(FAST.staleAfterMs),
      RV_DRAIN_GRACE_MS: String(FAST.drainGraceMs),
      RV_KILL_GRACE_MS: String(FAST.killGraceMs),
      RV_CHECKPOINT_GRACE_MS: String(FAST.checkpointGraceMs),
      ...options.env,
    },
  });
}

/**
 * A private RV_HOME for each test of the file, and every runner started with `start` (in this process) or
 * `spawn` (a process of its own) stopped before the home is removed.
 */
export function useRunnerHome(): {
  readonly root: string;
  start: (lease: string, overrides?: Partial<RunnerOptions>) => InProcessRunner;
  spawn: (lease: string, options?: Parameters<typeof spawnRunner>[2]) => ReturnType<typeof spawnRunner>;
} {
  let home: ReturnType<typeof makeHome> | undefined;
  let runners: InProcessRunner[] = [];
  let children: ReturnType<typeof spawnRunner>[] = [];
  beforeEach(() => {
    home = makeHome();
  });
  afterEach(async () => {
    for (const child of children) child.kill("SIGKILL");
    await Promise.all([...runners.map((runner) => runner.stop()), ...children]);
    runners = [];
    children = [];
    home?.cleanup();
  });
  const root = () => {
    if (!home) throw new Error("useRunnerHome: only inside a test");
    return home.root;
  };
  return {
    get root() {
      return root();
    },
    start: (lease, overrides) => {
      const runner = startRunner(root(), lease, overrides);
      runners.push(runner);
      return runner;
    },
    spawn: (lease, options) => {
      const child = spawnRunner(root(), lease, options);
      children.push(child);
      return child;
    },
  };
}
