import type { z } from "zod";
import type { OpName } from "../protocol.ts";
import type { ClusterSide } from "../side.ts";
import { DoctorArgsSchema, doctorOp } from "./doctor.ts";
import { LeaseReleaseArgsSchema, leaseReleaseOp } from "./lease-release.ts";
import { LeaseUpArgsSchema, leaseUpOp } from "./lease-up.ts";
import { LeaseViewArgsSchema, leaseViewOp } from "./lease-view.ts";
import { ResourcesArgsSchema, resourcesOp } from "./resources.ts";
import { StatusArgsSchema, statusOp } from "./status.ts";
import { SubmitArgsSchema, submitOp } from "./submit.ts";

interface Op {
  args: z.ZodType;
  run: (side: ClusterSide, args: never) => unknown;
}

/** Every operation the laptop may ask of the login node. */
export const ops: Record<OpName, Op> = {
  status: { args: StatusArgsSchema, run: statusOp },
  resources: { args: ResourcesArgsSchema, run: resourcesOp },
  doctor: { args: DoctorArgsSchema, run: doctorOp },
  submit: { args: SubmitArgsSchema, run: submitOp },
  "lease-up": { args: LeaseUpArgsSchema, run: leaseUpOp },
  "lease-view": { args: LeaseViewArgsSchema, run: leaseViewOp },
  "lease-release": { args: LeaseReleaseArgsSchema, run: leaseReleaseOp },
};
