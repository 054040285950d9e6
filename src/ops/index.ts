/**
 * The operation layer (DESIGN.md section 1): one typed op per verb, run in-process for this machine's leases and
 * through `rv rpc` on the login node for a cluster's. `ops` is every op a caller may ask of a place by name.
 */
import { attachOp } from "./attach.ts";
import { balanceOp } from "./balance.ts";
import { cancelOp } from "./cancel.ts";
import { candidatesOp } from "./candidates.ts";
import { cleanOp } from "./clean.ts";
import { doctorOp } from "./doctor.ts";
import { forwardOp } from "./forward.ts";
import { leaseExtendOp } from "./lease-extend.ts";
import { leaseGpusOp } from "./lease-gpus.ts";
import { leaseListOp } from "./lease-list.ts";
import { leaseReleaseOp } from "./lease-release.ts";
import { leaseRemoveOp } from "./lease-remove.ts";
import { leaseResumeOp } from "./lease-resume.ts";
import { leaseShowOp } from "./lease-show.ts";
import { leaseSuperviseOp } from "./lease-supervise.ts";
import { leaseUpOp } from "./lease-up.ts";
import { leaseUpLocalOp } from "./lease-up-local.ts";
import { leaseWhyOp } from "./lease-why.ts";
import { logsOp } from "./logs.ts";
import { logsSearchOp } from "./logs-search.ts";
import { noteOp } from "./note.ts";
import { notifyOffOp, notifySetOp, notifyShowOp, notifyTestOp } from "./notify.ts";
import type { Op } from "./op.ts";
import { requeueOp } from "./requeue.ts";
import { rerunOp } from "./rerun.ts";
import { resourcesOp } from "./resources.ts";
import { leaseClaimOp, leaseEndSegmentOp, leaseRenewOp } from "./segment-side.ts";
import { showOp } from "./show.ts";
import { statsOp } from "./stats.ts";
import { statusOp } from "./status.ts";
import { runOp, submitOp } from "./submit.ts";
import { sweepListOp, sweepOp, sweepShowOp } from "./sweep.ts";
import { tagsOp, tasksOp } from "./tasks.ts";
import { tuiOp } from "./tui.ts";
import { waitOp } from "./wait.ts";

export const ops: Readonly<Record<string, Op>> = {
  submit: submitOp,
  run: runOp,
  tasks: tasksOp,
  tags: tagsOp,
  logs: logsOp,
  "logs-search": logsSearchOp,
  wait: waitOp,
  cancel: cancelOp,
  requeue: requeueOp,
  clean: cleanOp,
  rerun: rerunOp,
  note: noteOp,
  candidates: candidatesOp,
  status: statusOp,
  show: showOp,
  stats: statsOp,
  sweep: sweepOp,
  "sweep-show": sweepShowOp,
  "sweep-list": sweepListOp,
  "lease-list": leaseListOp,
  "lease-show": leaseShowOp,
  "lease-gpus": leaseGpusOp,
  "lease-why": leaseWhyOp,
  "lease-release": leaseReleaseOp,
  "lease-remove": leaseRemoveOp,
  "lease-extend": leaseExtendOp,
  "lease-resume": leaseResumeOp,
  "lease-up": leaseUpOp,
  "lease-up-local": leaseUpLocalOp,
  "lease-claim": leaseClaimOp,
  "lease-renew": leaseRenewOp,
  "lease-end-segment": leaseEndSegmentOp,
  "lease-supervise": leaseSuperviseOp,
  resources: resourcesOp,
  doctor: doctorOp,
  balance: balanceOp,
  attach: attachOp,
  forward: forwardOp,
  tui: tuiOp,
  "notify-set": notifySetOp,
  "notify-show": notifyShowOp,
  "notify-test": notifyTestOp,
  "notify-off": notifyOffOp,
};

export type { AttachTarget } from "./attach.ts";
export { buildId, deployedName, rvVersion } from "./build-info.ts";
export type { Check } from "./doctor.ts";
export { exitStatusOf } from "./exit-status.ts";
export type { ForwardTarget } from "./forward.ts";
export { type GpuSpan, type GpuSteps, gpuSteps } from "./gpu-steps.ts";
export type { LeaseExtendResult } from "./lease-extend.ts";
export type { LeaseGpus } from "./lease-gpus.ts";
export type { LeaseRow } from "./lease-list.ts";
export type { LeaseShow } from "./lease-show.ts";
export type { LeaseUpPolicy, PartJob } from "./lease-up.ts";
export { LogFollowedSchema } from "./logs.ts";
export type { NotifyView } from "./notify.ts";
export * from "./op.ts";
export * from "./places.ts";
export * from "./refs.ts";
export { type DetectedServer, describeServer } from "./servers.ts";
export type { TaskDetail } from "./show.ts";
export { standaloneBinary } from "./standalone-binary.ts";
export type { AttemptStats, TaskStats } from "./stats.ts";
export type { SiteStatus } from "./status.ts";
export type { LeaseSummary } from "./summary.ts";
export { expandGrid, fillPlaceholders, type Point, parseGrid, pointName, unclosedGroup } from "./sweep/grid.ts";
export { parsePoints } from "./sweep/points.ts";
export { newestSweepFirst, type SweepSummary, sweepSummaries } from "./sweep.ts";
export { parseSpecLines, type SpecDefaults, type TaskSpec, TaskSpecSchema } from "./taskspec.ts";
export {
  attachOp,
  balanceOp,
  cancelOp,
  candidatesOp,
  cleanOp,
  doctorOp,
  forwardOp,
  leaseClaimOp,
  leaseEndSegmentOp,
  leaseExtendOp,
  leaseGpusOp,
  leaseListOp,
  leaseReleaseOp,
  leaseRemoveOp,
  leaseRenewOp,
  leaseResumeOp,
  leaseShowOp,
  leaseSuperviseOp,
  leaseUpLocalOp,
  leaseUpOp,
  leaseWhyOp,
  logsOp,
  logsSearchOp,
  noteOp,
  notifyOffOp,
  notifySetOp,
  notifyShowOp,
  notifyTestOp,
  requeueOp,
  rerunOp,
  resourcesOp,
  runOp,
  showOp,
  statsOp,
  statusOp,
  submitOp,
  sweepListOp,
  sweepOp,
  sweepShowOp,
  tagsOp,
  tasksOp,
  tuiOp,
  waitOp,
};
