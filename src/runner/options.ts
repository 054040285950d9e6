import { appendFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { loadConfig } from "../config/index.ts";
import { RvError } from "../errors.ts";
import { leasePaths, rvHome } from "../fsqueue/index.ts";

/** Everything a runner needs, in one object; `runnerOptionsFromEnv` fills in the defaults. */
export interface RunnerOptions {
  /** RV_HOME; the lease's directory is `leasePaths(root, lease)`. */
  root: string;
  lease: string;
  /** `--gpu-ids`: overrides GPU detection. */
  gpuIds?: string[];
  /** `--cpus`: overrides the allocation's CPUs (SLURM_CPUS_ON_NODE) or the machine's. */
  cpus?: number;
  /** "local" for local leases, else the segment number. */
  segment: string;
  heartbeatMs: number;
  /** A runner whose heartbeat has not changed for this long (by our clock) is stale. */
  staleAfterMs: number;
  /** SIGTERM/SIGINT: how long running tasks may still run before they are killed and requeued. */
  drainGraceMs: number;
  /** Killing a task: SIGTERM to its process group, SIGKILL after this long. */
  killGraceMs: number;
  /** SIGUSR1 (the segment is ending): how long tasks sent their checkpoint signal have to save and exit. */
  checkpointGraceMs: number;
  /** When this runner's segment (its Slurm job) ends, epoch ms: tasks whose time request is longer wait. */
  segmentEndsAt?: number;
  /**
   * `--idle-release`: after this long with nothing pending and nothing running in the lease, the runner marks the
   * lease released and drains, so a Slurm segment's job ends and gives its GPUs back. Unset: never.
   */
  idleReleaseMs?: number;
  /**
   * `--take-over-from`: once this runner beats, the runners of that segment stop claiming, finish what they
   * run and exit (overlap renewal: the segment before this one still runs).
   */
  takeOverFrom?: string;
  env: NodeJS.ProcessEnv;
  /** The runner's own diagnostics (the runner log file). */
  log: (line: string) => void;
  /** Aborting drains the runner like SIGTERM does (in-process tests, embedding). */
  signal?: AbortSignal;
}

/** `idle-released`: it released the lease itself (`--idle-release`); `released`: the lease was released when it started. */
export type RunnerExitReason =
  | "drained"
  | "stopped"
  | "signal"
  | "aborted"
  | "segment-end"
  | "handed-over"
  | "idle-released"
  | "released";

export interface RunnerExit {
  runner: string;
  reason: RunnerExitReason;
  /** Tasks that finished on this runner (any terminal state). */
  finished: number;
  /** Tasks this runner gave back to the inbox when it stopped or its drain grace ran out. */
  requeued: number;
}

export interface RunnerOptionsInput {
  lease: string;
  root?: string;
  gpuIds?: string[];
  cpus?: number;
  segment?: string;
  /** Epoch ms; else RV_SEGMENT_END (epoch seconds), else unknown. */
  segmentEndsAt?: number;
  idleReleaseMs?: number;
  takeOverFrom?: string;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
  signal?: AbortSignal;
}

/** The timing knobs come from the configuration (config.toml, then RV_* variables); the rest from the input. */
export function runnerOptions(input: RunnerOptionsInput): RunnerOptions {
  const env = input.env ?? process.env;
  const root = input.root ?? rvHome(env);
  const { heartbeatMs, staleAfterMs, drainGraceMs, killGraceMs, checkpointGraceMs } = loadConfig(root, env).runner;
  const segmentEndsAt = input.segmentEndsAt ?? parseSegmentEnd("RV_SEGMENT_END", env.RV_SEGMENT_END || undefined);
  return {
    root,
    lease: input.lease,
    gpuIds: input.gpuIds,
    cpus: input.cpus,
    segment: input.segment ?? (env.RV_SEGMENT || "local"),
    heartbeatMs,
    staleAfterMs,
    drainGraceMs,
    killGraceMs,
    checkpointGraceMs,
    ...(segmentEndsAt !== undefined && { segmentEndsAt }),
    ...(input.idleReleaseMs !== undefined && { idleReleaseMs: input.idleReleaseMs }),
    ...(input.takeOverFrom !== undefined && { takeOverFrom: input.takeOverFrom }),
    env,
    log: input.log ?? fileLogger(leasePaths(root, input.lease).runnerLog),
    signal: input.signal,
  };
}

/** `--segment-end` or RV_SEGMENT_END: seconds since the epoch (as `date +%s` prints), returned in epoch ms. */
export function parseSegmentEnd(source: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const seconds = Number(text);
  if (text.trim() === "" || !Number.isFinite(seconds) || seconds <= 0) {
    throw new RvError("usage", `${source} ${JSON.stringify(text)}: expected seconds since the epoch`, {
      hint: "for example: $(date -d '+1 hour' +%s)",
    });
  }
  return Math.round(seconds * 1000);
}

/** Appends timestamped lines to `file` (0600), creating its directory on first use. */
export function fileLogger(file: string): (line: string) => void {
  let ready = false;
  return (line) => {
    if (!ready) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
      ready = true;
    }
    appendFileSync(file, `${new Date().toISOString()} [${process.pid}] ${line}\n`, { mode: 0o600 });
  };
}
