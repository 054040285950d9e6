import { homedir } from "node:os";
import { join } from "node:path";

/** Every path of the on-disk layout (DESIGN.md section 3) is built here and nowhere else. */
export function rvHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.RV_HOME || join(homedir(), ".rv");
}

/** `rv notify` settings of this place (its webhook URL may hold a secret: the file is 0600). */
export function notifySettingsFile(root: string): string {
  return join(root, "notify.json");
}

/** `rv env`'s secrets, encrypted (src/secrets), and the key of that store when no OS keyring keeps it; both 0600. */
export function secretsStoreFile(root: string): string {
  return join(root, "secrets.json");
}

export function secretsKeyFile(root: string): string {
  return join(root, "secrets.key");
}

export function leasesDir(root: string): string {
  return join(root, "leases");
}

/** A lease's directory on its way out (`rv lease rm`): a dot-name in `leases/`, which every reader skips. */
export function removedLeaseDir(root: string, leaseId: string, suffix: string): string {
  return join(leasesDir(root), `.${leaseId}.removed-${suffix}`);
}

export interface LeasePaths {
  dir: string;
  leaseFile: string;
  /** Held while lease.json is read and replaced (`updateLeaseRecord`). */
  leaseLock: string;
  runnerLog: string;
  tmp: string;
  inbox: string;
  claimed: string;
  done: string;
  /** Every done/ record in one file, built by readers (done-index.ts): a cache, trusted only while done/ is unchanged. */
  doneIndex: string;
  hb: string;
  events: string;
  control: string;
  logs: string;
  bad: string;
  observed: string;
  segments: string;
  alloc: string;
  /** The lease's failures in a row and its pause, if it paused (lease/retry.ts). */
  retryFile: string;
  /** Held while retry.json is read and replaced (`updateRetry`): supervisors of one lease may write it at once. */
  retryLock: string;
  /** Held while a runner judges a task dep_failed and records it, and while a requeue looks for such records. */
  dependenciesLock: string;
  /** What the lease's supervisor did and when, one JSON line per act (lease/journal.ts). */
  supervisionLog: string;
  /** One marker per notification sent of the lease, created exclusively by its sender (once.ts). */
  notified: string;
  /** A task's note as last edited (`rv note`), beside its record: task records are never rewritten for it. */
  notes: string;
  /** Finished tasks put away by `rv clean`: their done records, and their logs under `archive/logs/`. */
  archive: string;
  /** A task's secret environment (`rv env`), `<task-id>.json`, 0600: written at submit, removed when it ends. */
  secrets: string;
  /** Each runner's own commands put first on its tasks' PATH (runner/scontrol-shim.ts), `<runner>/`, 0700. */
  shims: string;
}

export function leasePaths(root: string, leaseId: string): LeasePaths {
  const dir = join(leasesDir(root), leaseId);
  return {
    dir,
    leaseFile: join(dir, "lease.json"),
    leaseLock: join(dir, "lease.json.lock"),
    runnerLog: join(dir, "runner.log"),
    tmp: join(dir, "tmp"),
    inbox: join(dir, "inbox"),
    claimed: join(dir, "claimed"),
    done: join(dir, "done"),
    doneIndex: join(dir, "done.index.jsonl"),
    hb: join(dir, "hb"),
    events: join(dir, "events"),
    control: join(dir, "control"),
    logs: join(dir, "logs"),
    bad: join(dir, "bad"),
    observed: join(dir, "observed"),
    segments: join(dir, "segments"),
    alloc: join(dir, "alloc"),
    retryFile: join(dir, "retry.json"),
    retryLock: join(dir, "retry.json.lock"),
    dependenciesLock: join(dir, "dependencies.lock"),
    supervisionLog: join(dir, "supervision.jsonl"),
    notified: join(dir, "notified"),
    notes: join(dir, "notes"),
    archive: join(dir, "archive"),
    secrets: join(dir, "secrets"),
    shims: join(dir, "shims"),
  };
}

export const secretsFile = (p: LeasePaths, taskId: string): string => join(p.secrets, `${taskId}.json`);
export const shimDir = (p: LeasePaths, runner: string): string => join(p.shims, runner);
export const recordFile = (dir: string, name: string): string => join(dir, `${name}.json`);
export const claimDir = (p: LeasePaths, runner: string): string => join(p.claimed, runner);
export const claimFile = (p: LeasePaths, runner: string, key: string): string => join(p.claimed, runner, `${key}.json`);
/** A stale owner's claim taken over by `recoverer`, being settled (recover.ts). */
export const takeoverFile = (p: LeasePaths, recoverer: string, key: string): string =>
  join(p.claimed, recoverer, `${key}.recovering`);
export const heartbeatFile = (p: LeasePaths, runner: string): string => join(p.hb, `${runner}.json`);
export const eventsFile = (p: LeasePaths, runner: string): string => join(p.events, `${runner}.jsonl`);
export const controlFile = (p: LeasePaths, target: string, verb: string): string =>
  join(p.control, `${target}.${verb}`);
export const notifiedFile = (p: LeasePaths, key: string): string => join(p.notified, `${key}.json`);
export const observationsFile = (p: LeasePaths, observerHost: string): string =>
  join(p.observed, `${observerHost}.json`);
/**
 * A segment's record, batch script and Slurm output: `segments/<n>.json`, `<n>.sh`, `<n>.out`; its watchdog's
 * script and output: `<n>.watch.sh`, `<n>.watch.out`; a wake-up left after it: `<n>.wake.sh`, `<n>.wake.out`.
 */
export const segmentFile = (
  p: LeasePaths,
  n: number,
  ext: "json" | "sh" | "out" | "watch.sh" | "watch.out" | "wake.sh" | "wake.out",
): string => join(p.segments, `${n}.${ext}`);
/**
 * An allocation race's files, one directory per attempt: `alloc/<attempt>/race.json`, each strategy's batch
 * script and Slurm output (`<rank>.sh`, `<rank>.out`), the marks of strategies whose job started
 * (`started/<rank>.json`); and `alloc/winner.json`, the claim that ends every attempt.
 */
export const raceDir = (p: LeasePaths, attempt: number): string => join(p.alloc, String(attempt));
/** Who submits a race attempt, or a segment that replaces dead ones, when several look at once (lease/turn.ts). */
export const raceTurnFile = (p: LeasePaths, attempt: number): string => join(p.alloc, `${attempt}.turn`);
export const segmentTurnFile = (p: LeasePaths, n: number): string => join(p.segments, `${n}.turn`);
/** When `observerHost` first saw a turn's current token, on its clock (lock-staleness.ts), beside the turn. */
export const lockSightingFile = (lock: string, observerHost: string): string => `${lock}.seen-${observerHost}.json`;
/**
 * The name the one taker breaking a stale lock's `token` links it to (lock.ts, breakStale): one per token (a token
 * is ~60 characters; what is not a token, however long, is cut to keep the name within a file name's limit).
 */
export const lockWitnessFile = (lock: string, token: string): string =>
  `${lock}.breaking-${Buffer.from(token).toString("base64url").slice(0, 120)}`;
/** Where the taker breaking a stale lock moves it for an instant (lock.ts, moveAside); `nonce` is random. */
export const lockAsideFile = (lock: string, nonce: string): string => `${lock}.stale-${nonce}`;
export const raceFile = (p: LeasePaths, attempt: number, name: string): string => join(raceDir(p, attempt), name);
export const raceStartedDir = (p: LeasePaths, attempt: number): string => join(raceDir(p, attempt), "started");
export const winnerFile = (p: LeasePaths): string => join(p.alloc, "winner.json");
export const taskLogFile = (p: LeasePaths, task: string, attempt: number, stream: "out" | "err"): string =>
  join(p.logs, task, `${attempt}.${stream}`);
