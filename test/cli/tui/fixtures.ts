import type { RaceRow } from "../../../src/allocator/index.ts";
import { INITIAL_STATE, type TuiState } from "../../../src/cli/tui/state.ts";
import type { Connection } from "../../../src/cli/tui/view.ts";
import type { RunnerView, TaskView } from "../../../src/lease/index.ts";
import type { TuiLease, TuiSnapshot } from "../../../src/ops/tui-snapshot.ts";

export const now = Date.parse("2026-11-23T12:00:00Z");
const minutesAgo = (m: number) => new Date(now - m * 60_000).toISOString();

function runner(fields: Partial<RunnerView> & Pick<RunnerView, "id" | "host">): RunnerView {
  return {
    pid: 4242,
    health: "ok",
    heartbeatAgeMs: 1000,
    segment: "local",
    running: 0,
    gpus: [],
    freeGpus: [],
    cpus: 16,
    freeCpus: 16,
    ...fields,
  };
}

/** A local lease whose second runner stopped beating while it ran a task. */
export const localLease: TuiLease = {
  id: "local",
  kind: "local",
  state: "active",
  phase: null,
  phaseTone: null,
  timeLeftSeconds: null,
  renewalGapSeconds: null,
  gpus: { busy: 3, free: 1 },
  tooLarge: [],
  parts: null,
  race: null,
  runners: [
    runner({ id: "lab-pc-4242-aaaaaa", host: "lab-pc", running: 1, gpus: ["0", "1", "3"], freeGpus: ["3"] }),
    runner({
      id: "lab-pc-4100-bbbbbb",
      host: "lab-pc",
      pid: 4100,
      health: "stale",
      heartbeatAgeMs: 95_000,
      running: 1,
      gpus: ["2"],
    }),
  ],
};

export const slurmLease: TuiLease = {
  id: "gpu4",
  kind: "slurm",
  state: "active",
  phase: "running (segment 2, job 815)",
  phaseTone: null,
  timeLeftSeconds: 5400,
  renewalGapSeconds: -120,
  gpus: { busy: 1, free: 3 },
  tooLarge: [],
  parts: null,
  race: null,
  runners: [
    runner({
      id: "node07-77-cccccc",
      host: "node07",
      pid: 77,
      heartbeatAgeMs: 2000,
      segment: "2",
      running: 1,
      gpus: ["0", "1", "2", "3"],
      freeGpus: ["1", "2", "3"],
    }),
  ],
};

const nowEpoch = now / 1000;

/** The allocation race of a Slurm lease that has no job running yet: one strategy waits, one starts, one was refused. */
export const race: RaceRow[] = [
  {
    rank: 1,
    strategyId: "a6000:1x4:2h59m",
    jobId: "812",
    state: "pending",
    startEpoch: nowEpoch + 180,
    reason: "Priority",
  },
  { rank: 2, strategyId: "mig:1x1:2h59m", jobId: "813", state: "starting", startEpoch: nowEpoch - 5, reason: null },
  {
    rank: 3,
    strategyId: "a100_80:2x2:2h59m",
    jobId: null,
    state: "refused",
    startEpoch: null,
    reason: "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (QOSMaxGRESPerUser)",
  },
];

/** Not in `snapshot`, so the screens drawn from it keep still: tests add it where they need a race. */
export const racingLease: TuiLease = {
  id: "gpu5",
  kind: "slurm",
  state: "active",
  phase: "queued (racing 3 strategies, 2 still in the running)",
  phaseTone: "wait",
  timeLeftSeconds: null,
  renewalGapSeconds: null,
  gpus: { busy: 0, free: 0 },
  tooLarge: [],
  parts: null,
  race,
  runners: [],
};

export function task(fields: Partial<TaskView> & Pick<TaskView, "id" | "state">): TaskView {
  return {
    lease: "local",
    name: null,
    attempt: 1,
    command: { argv: ["python", "train.py"] },
    cwd: "/home/me/proj",
    gpus: 1,
    cpus: 4,
    assignedGpus: [],
    runner: null,
    host: null,
    submittedAt: minutesAgo(100),
    startedAt: null,
    endedAt: null,
    after: [],
    exitCode: null,
    signal: null,
    reason: null,
    tags: [],
    note: null,
    sweep: null,
    retry: null,
    ...fields,
  };
}

const ran = (startedMin: number, endedMin: number | null) => ({
  startedAt: minutesAgo(startedMin),
  endedAt: endedMin === null ? null : minutesAgo(endedMin),
});

const onLab = { runner: "lab-pc-4242-aaaaaa", host: "lab-pc" };
const onStale = { runner: "lab-pc-4100-bbbbbb", host: "lab-pc" };

/** Every state, a stuck running task and a lost one; oldest first, a minute apart (the table shows newest first). */
export const tasks: TaskView[] = [
  task({ id: "mkn0a2b00q7xz", state: "succeeded", name: "baseline", ...onLab, ...ran(95, 80), exitCode: 0 }),
  task({
    id: "mkn0a2b01h2kd",
    state: "succeeded",
    name: "prep-data",
    command: { shell: "python prep.py && touch done" },
    tags: ["data", "v2"],
    note: "the split used by every run after it",
    ...onLab,
    ...ran(90, 85),
    exitCode: 0,
  }),
  task({ id: "mkn0a2b02p9wa", state: "failed", name: "lr-1e-2", ...onLab, ...ran(80, 79), exitCode: 1 }),
  task({
    id: "mkn0a2b03c4me",
    state: "failed",
    name: "bs-512",
    ...onLab,
    ...ran(70, 60),
    signal: "SIGKILL",
    reason: "killed by SIGKILL",
  }),
  task({ id: "mkn0a2b04t8rb", state: "cancelled", name: "lr-1e-1", ...onLab, ...ran(60, 58), signal: "SIGTERM" }),
  task({ id: "mkn0a2b05n1vs", state: "succeeded", name: "flaky", attempt: 2, ...onLab, ...ran(50, 40), exitCode: 0 }),
  task({ id: "mkn0a2b06y5gu", state: "cancelled", name: "never-ran", reason: "cancelled while pending" }),
  task({ id: "mkn0a2b07l3fo", state: "lost", name: "lost-one", ...onStale, ...ran(30, null) }),
  task({ id: "mkn0a2b08w6ji", state: "running", name: "stuck-run", ...onStale, assignedGpus: ["2"], ...ran(25, null) }),
  task({
    id: "mkn0a2b09e0ty",
    state: "running",
    name: "lr-3e-4",
    gpus: 2,
    assignedGpus: ["0", "1"],
    ...onLab,
    ...ran(12, null),
    command: { argv: ["python", "train.py", "--lr", "3e-4"] },
  }),
  task({
    id: "mkn0a2b10r2hq",
    state: "running",
    name: "lr-1e-4",
    lease: "gpu4",
    assignedGpus: ["0"],
    runner: "node07-77-cccccc",
    host: "node07",
    ...ran(5, null),
  }),
  task({ id: "mkn0a2b11s7nc", state: "pending", name: "lr-3e-5", lease: "gpu4" }),
  task({ id: "mkn0a2b12d4pk", state: "pending", name: "lr-1e-5" }),
].map((t, i) => ({ ...t, submittedAt: minutesAgo(100 - i) }));

export const snapshot: TuiSnapshot = {
  at: new Date(now).toISOString(),
  leases: [localLease, slurmLease],
  tasks,
  logs: [],
};

export const localConnection: Connection = {
  kind: "local",
  where: "this machine",
  lastOkMs: now - 2000,
  inFlightSinceMs: null,
  error: null,
};

export function withState(change: Partial<TuiState>): TuiState {
  return { ...INITIAL_STATE, ...change };
}
