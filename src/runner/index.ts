/**
 * The runner: the daemon that serves one lease on one node (DESIGN.md sections 3-4). `rv runner` calls
 * `runRunner(runnerOptions({...}))`; other modules import this file, except where a command's start-up must evaluate
 * only what it runs (docs/benchmarks.md (h)).
 */

export { type ControlAction, controlActions, LEASE_TARGET, segmentTarget } from "./controls.ts";

export { cwdProblem } from "./cwd.ts";
export { commandArgv, taskEnv } from "./execute.ts";
export { killAttempt, killOrphans, unfinishedStarts } from "./kill.ts";
export {
  fileLogger,
  parseSegmentEnd,
  type RunnerExit,
  type RunnerExitReason,
  type RunnerOptions,
  type RunnerOptionsInput,
  runnerOptions,
} from "./options.ts";
export {
  type Assignment,
  type Capacity,
  canFinishInSegment,
  type Placement,
  placeTasks,
  type QueuedTask,
  type Resources,
  type SegmentClock,
} from "./placement.ts";
export { pidAlive } from "./proc.ts";
export {
  detectCpus,
  detectGpus,
  type GpuSource,
  type Gpus,
  gpusFromEnv,
  parseCudaVisibleDevices,
  parseNvidiaSmiList,
  parseSlurmGpus,
} from "./resources.ts";
export { runRunner } from "./runner.ts";
