import { type RaceRow, racerLabel } from "../../../allocator/index.ts";
import type { RaceFiles } from "../../../lease/index.ts";
import type { Io } from "../../io.ts";
import { renderTable } from "../../output.ts";
import { renderDecision, startIn } from "./decision-view.ts";

/** The race as a table: each strategy's job, how it stands, when it would start, and Slurm's reason. */
export function renderRace(io: Io, rows: readonly RaceRow[], nowEpoch: number): string {
  const body = rows.map((r) => [
    `  ${r.rank}`,
    racerLabel(r),
    r.jobId ?? "-",
    r.state,
    r.startEpoch !== null && (r.state === "pending" || r.state === "starting") ? startIn(r.startEpoch, nowEpoch) : "-",
    r.reason ?? "-",
  ]);
  return renderTable(io, ["  rank", "strategy", "job", "state", "start", "reason"], body);
}

/** `rv lease show --alloc`: the decision behind the race, then where each job's script and output are, and how the output ends. */
export function renderRaceFiles(io: Io, files: RaceFiles): string {
  const { race, claim } = files;
  const head = `allocation attempt ${race.attempt}, started ${race.startedAt}${claim ? `; won by ${claim.strategyId} (job ${claim.jobId}) at ${claim.claimedAt}` : "; not won yet"}\n`;
  const jobs = files.jobs.map((j) => {
    const entry = race.entries.find((e) => e.rank === j.rank && e.part === j.part);
    const refused = entry?.refused ? `  refused by Slurm: ${entry.refused}\n` : "";
    const tail = j.outputTail.map((line) => `    | ${line}\n`).join("");
    const part = entry && entry.parts > 1 ? ` part ${entry.part} of ${entry.parts}` : "";
    return `rank ${j.rank}${part} ${entry?.strategy.id ?? "?"} (job ${entry?.jobId ?? "-"})\n${refused}  script ${j.script}\n  output ${j.output}\n${tail}`;
  });
  return `${head}${renderDecision(io, race.decision)}\n${jobs.join("")}`;
}
