import { type Row, summarize } from "./history.ts";
import { inFreshHome, type Scenario } from "./lib.ts";
import { seeded } from "./random.ts";
import { releaseKill, submitKill } from "./scenarios/client-kill.ts";
import { clockSkew } from "./scenarios/clock-skew.ts";
import { fullDisk } from "./scenarios/full-disk.ts";
import { runnerKill } from "./scenarios/runner-kill.ts";
import { controlMasterKill, leaseUpKill, segmentFaults } from "./scenarios/slurm.ts";
import { sshfsRunners } from "./scenarios/sshfs.ts";
import { concurrentSubmitters } from "./scenarios/submitters.ts";

/** Every scenario, in the order the table lists them. */
export const scenarios: Scenario[] = [
  runnerKill,
  submitKill,
  releaseKill,
  concurrentSubmitters,
  fullDisk,
  clockSkew,
  sshfsRunners,
  segmentFaults,
  controlMasterKill,
  leaseUpKill,
];

export interface ChaosOptions {
  short: boolean;
  only?: string;
  seed: number;
  runs?: number;
  log?: (line: string) => void;
}

/** Runs the scenarios; each run gets seed `seed + index`, so any run can be replayed alone. */
export async function runChaos(options: ChaosOptions): Promise<{ rows: Row[]; problems: string[] }> {
  const rows: Row[] = [];
  const problems: string[] = [];
  for (const scenario of scenarios.filter((s) => !options.only || s.name.includes(options.only))) {
    const runs = options.runs ?? (options.short ? scenario.runs.short : scenario.runs.full);
    const verdicts = [];
    for (let i = 0; i < runs; i++) {
      const seed = options.seed + i;
      const verdict = await inFreshHome({ short: options.short, seed, random: seeded(seed) }, (ctx) =>
        scenario.run(ctx),
      );
      for (const problem of verdict.problems) problems.push(`${scenario.name}, seed ${seed}: ${problem}`);
      options.log?.(
        `${scenario.name} run ${i + 1}/${runs} (seed ${seed}): ${verdict.lost} lost, ${verdict.twice} twice`,
      );
      verdicts.push(verdict);
    }
    rows.push(summarize(scenario.name, verdicts));
  }
  return { rows, problems };
}
