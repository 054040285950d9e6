import { RvError } from "../../errors.ts";
import { jitAsUsual } from "../../jit.ts";
import { requireLease } from "../../lease/index.ts";
import { standaloneBinary } from "../../ops/standalone-binary.ts";
import { parseSegmentEnd, runnerOptions, runRunner } from "../../runner/index.ts";
import type { Context } from "../context.ts";
import { parseCount, parseDurationMs, parseGpuIds } from "../flags.ts";
import { printJson } from "../output.ts";

export interface RunnerCommandOptions {
  lease: string;
  gpuIds?: string;
  cpus?: string;
  segment?: string;
  segmentEnd?: string;
  idleRelease?: string;
  takeOverFrom?: string;
}

/** The runner itself, in the foreground: what `rv lease up` starts detached and a batch script starts on a node. */
export async function runRunnerCommand(ctx: Context, options: RunnerCommandOptions): Promise<number> {
  jitAsUsual();
  requireLease(ctx.root, options.lease);
  const gpuIds = parseGpuIds(options.gpuIds);
  const cpus = parseCount("--cpus", options.cpus, 1);
  const segmentEndsAt = parseSegmentEnd("--segment-end", options.segmentEnd);
  const idleReleaseMs = parseDurationMs("--idle-release", options.idleRelease);
  if (idleReleaseMs !== undefined && idleReleaseMs <= 0) {
    throw new RvError("usage", `--idle-release ${options.idleRelease}: expected a duration above zero, like 30m`);
  }
  const exit = await runRunner(
    runnerOptions({
      lease: options.lease,
      root: ctx.root,
      // A task may submit more tasks into its own lease: `"$RV" submit -- ...` reaches this root.
      env: { ...ctx.env, RV_HOME: ctx.root, RV: standaloneBinary(ctx.env) },
      ...(gpuIds && { gpuIds }),
      ...(cpus && { cpus }),
      ...(options.segment && { segment: options.segment }),
      ...(segmentEndsAt !== undefined && { segmentEndsAt }),
      ...(idleReleaseMs !== undefined && { idleReleaseMs }),
      ...(options.takeOverFrom !== undefined && {
        takeOverFrom: String(parseCount("--take-over-from", options.takeOverFrom, 0)),
      }),
    }),
  );
  if (ctx.json) printJson(ctx.io, { ...exit });
  else
    ctx.io.err(`runner ${exit.runner} exited (${exit.reason}): ${exit.finished} finished, ${exit.requeued} requeued\n`);
  return 0;
}
