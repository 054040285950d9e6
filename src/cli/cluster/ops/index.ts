import type { z } from "zod";
import type { OpName } from "../protocol.ts";
import type { ClusterSide } from "../side.ts";
import { AttachArgsSchema, attachOp } from "./attach.ts";
import { BalanceArgsSchema, balanceOp } from "./balance.ts";
import { DoctorArgsSchema, doctorOp } from "./doctor.ts";
import { LeaseExtendArgsSchema, leaseExtendOp } from "./lease-extend.ts";
import { LeaseListArgsSchema, leaseListOp } from "./lease-list.ts";
import { LeaseReleaseArgsSchema, leaseReleaseOp } from "./lease-release.ts";
import { LeaseResumeArgsSchema, leaseResumeOp } from "./lease-resume.ts";
import { LeaseUpArgsSchema, leaseUpOp } from "./lease-up.ts";
import { LeaseViewArgsSchema, leaseViewOp } from "./lease-view.ts";
import { ResourcesArgsSchema, resourcesOp } from "./resources.ts";
import { RunArgsSchema, runOp } from "./run.ts";
import { StatusArgsSchema, statusOp } from "./status.ts";
import { SubmitArgsSchema, submitOp } from "./submit.ts";
import { TaskActArgsSchema, TuiArgsSchema, taskActOp, tuiOp } from "./tui.ts";

/** An op answers with one JSON result, or streams output and ends with an exit status (`run`). */
type Op =
  | { args: z.ZodType; run: (side: ClusterSide, args: never) => unknown }
  | { args: z.ZodType; stream: (side: ClusterSide, args: never) => Promise<number> };

/** Every operation the laptop may ask of the login node. */
export const ops: Record<OpName, Op> = {
  status: { args: StatusArgsSchema, run: statusOp },
  resources: { args: ResourcesArgsSchema, run: resourcesOp },
  doctor: { args: DoctorArgsSchema, run: doctorOp },
  submit: { args: SubmitArgsSchema, run: submitOp },
  "lease-up": { args: LeaseUpArgsSchema, run: leaseUpOp },
  "lease-view": { args: LeaseViewArgsSchema, run: leaseViewOp },
  "lease-release": { args: LeaseReleaseArgsSchema, run: leaseReleaseOp },
  "lease-extend": { args: LeaseExtendArgsSchema, run: leaseExtendOp },
  "lease-resume": { args: LeaseResumeArgsSchema, run: leaseResumeOp },
  run: { args: RunArgsSchema, stream: runOp },
  "lease-list": { args: LeaseListArgsSchema, run: leaseListOp },
  attach: { args: AttachArgsSchema, run: attachOp },
  balance: { args: BalanceArgsSchema, run: balanceOp },
  tui: { args: TuiArgsSchema, run: tuiOp },
  "task-act": { args: TaskActArgsSchema, run: taskActOp },
};
