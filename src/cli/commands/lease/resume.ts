import { describePhase } from "../../../lease/index.ts";
import { leaseResumeOp } from "../../../ops/index.ts";
import type { Context } from "../../context.ts";
import { printJson } from "../../output.ts";
import { placeOfLease } from "../../route.ts";

/** `rv lease resume L`: a Slurm lease paused after too many failures in a row asks Slurm again, at once. */
export async function runLeaseResume(ctx: Context, id: string): Promise<number> {
  const { lease, slurm } = await placeOfLease(ctx, id).call(leaseResumeOp, { lease: id });
  const phase = slurm?.phase ?? { kind: "released" as const };
  if (ctx.json) printJson(ctx.io, { lease: lease.id, phase, race: slurm?.race ?? null });
  else ctx.io.out(`${lease.id}\t${describePhase(phase)}\n`);
  return 0;
}
