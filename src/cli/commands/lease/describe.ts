import type { SlurmRequest } from "../../../fsqueue/index.ts";
import { overlapSecondsOf, partsOf } from "../../../lease/index.ts";
import { plural } from "../../../plural.ts";
import { formatDuration } from "../../../slurm/index.ts";

/**
 * `gpu-a6000: 1 node x 4 a6000, 8 cpus, 24:00:00 in segments of 02:59:00 (chain)`; a lease of parts starts
 * `gpu-a6000: 2 parts of 1 node x 2 a6000s, ...`.
 */
export function describeRequest(r: SlurmRequest): string {
  const gpus = r.gpusPerNode ? plural(r.gpusPerNode, r.gpuType ?? "GPU") : "no GPU";
  const extras = [r.cpusPerNode ? `${r.cpusPerNode} cpus` : null, r.memPerNode ? `mem ${r.memPerNode}` : null]
    .filter(Boolean)
    .map((x) => `, ${x}`)
    .join("");
  const account = r.account ? `, account ${r.account}` : "";
  const renewal = r.renewal === "overlap" ? `overlap ${formatDuration(overlapSecondsOf(r))}` : r.renewal;
  const idle = r.idleReleaseSeconds ? `, released after ${formatDuration(r.idleReleaseSeconds)} idle` : "";
  const parts = partsOf({ request: r }) > 1 ? `${r.parts} parts of ` : "";
  return `${r.partition}: ${parts}${plural(r.nodes, "node")} x ${gpus}${extras}${account}, ${formatDuration(r.totalSeconds)} in segments of ${formatDuration(r.segmentSeconds)} (${renewal})${idle}`;
}
