import type { Candidate, Decision } from "../../../allocator/index.ts";
import type { Io } from "../../io.ts";
import { formatDuration, renderTable } from "../../output.ts";

/**
 * The allocator's decision for people: the strategies it submits, best first, with when each would start and
 * why; then the ones it dropped and why.
 */
export function renderDecision(io: Io, decision: Decision): string {
  const kept = decision.candidates.filter((c) => c.kept).sort((a, b) => (a.rank ?? 0) - (b.rank ?? 0));
  const dropped = decision.candidates.filter((c) => !c.kept);
  const row = (c: Candidate) => [
    c.rank === null ? "-" : String(c.rank),
    c.strategy.id,
    c.estimate ? startIn(c.estimate.startEpoch, decision.at) : "-",
    c.estimate?.basis ?? "-",
    c.why,
  ];
  const header = ["rank", "strategy", "start", "basis", "why"];
  const keptText = renderTable(io, header, kept.map(row));
  const droppedText = dropped.length ? `dropped:\n${renderTable(io, header, dropped.map(row))}` : "";
  return `${keptText}${droppedText}`;
}

export function startIn(epoch: number, nowEpoch: number): string {
  return epoch <= nowEpoch ? "now" : `in ${formatDuration((epoch - nowEpoch) * 1000)}`;
}
