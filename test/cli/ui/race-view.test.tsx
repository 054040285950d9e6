import chalk from "chalk";
import { Box } from "ink";
import { render } from "ink-testing-library";
import type { ReactElement } from "react";
import { afterEach, describe, expect, it } from "vitest";
import type { RaceRow } from "../../../src/allocator/index.ts";
import { paintForStderr } from "../../../src/cli/ui/color.ts";
import { RaceView } from "../../../src/cli/ui/race-view.tsx";

const now = 1_790_000_000;

const inProgress: RaceRow[] = [
  { rank: 1, strategyId: "a6000:1x4:2h59m", jobId: "812", state: "pending", startEpoch: now + 180, reason: "Priority" },
  { rank: 2, strategyId: "mig:1x1:2h59m", jobId: "813", state: "starting", startEpoch: now - 5, reason: null },
  { rank: 3, strategyId: "cpu:1x0:2h59m", jobId: null, state: "submitting", startEpoch: now + 600, reason: null },
];

const refused: RaceRow = {
  rank: 4,
  strategyId: "a100_80:2x2:2h59m-min30m",
  jobId: null,
  state: "refused",
  startEpoch: now,
  reason: "sbatch: error: Batch job submission failed: Job violates accounting/QOS policy (QOSMaxGRESPerUser)",
};

const decided: RaceRow[] = [
  { rank: 1, strategyId: "a6000:1x4:2h59m", jobId: "812", state: "lost", startEpoch: now + 180, reason: "cancelled" },
  { rank: 2, strategyId: "mig:1x1:2h59m", jobId: "813", state: "won", startEpoch: now - 5, reason: null },
];

/** Ink's root is as wide as the terminal: this box is an 80-column one. */
function frameAt80(element: ReactElement): string {
  return render(<Box width={80}>{element}</Box>).lastFrame() ?? "";
}

const ESC = "\u001b[";
const colorLevel = chalk.level;
afterEach(() => {
  chalk.level = colorLevel;
});

describe("RaceView", () => {
  it("shows a race in progress: each strategy's job, state, expected start and reason", () => {
    expect(frameAt80(<RaceView width={80} rows={inProgress} lease="gpu1" nowEpoch={now} />)).toMatchInlineSnapshot(`
      "allocating gpu1: 3 of 3 strategies racing
      #  STRATEGY         JOB  STATE       START   REASON
      1  a6000:1x4:2h59m  812  pending     in 3m   Priority
      2  mig:1x1:2h59m    813  starting    now
      3  cpu:1x0:2h59m    -    submitting  in 10m"
    `);
  });

  it("ends with the winner and the note", () => {
    const frame = frameAt80(
      <RaceView width={80} rows={decided} lease="gpu1" nowEpoch={now} note="cancelling the others" />,
    );
    expect(frame).toMatchInlineSnapshot(`
      "allocating gpu1
      #  STRATEGY         JOB  STATE  START  REASON
      1  a6000:1x4:2h59m  812  lost   -      cancelled
      2  mig:1x1:2h59m    813  won    -
      won by mig:1x1:2h59m (job 813)
      cancelling the others"
    `);
  });

  it("shows a refused strategy out of the race, with Slurm's reason cut to the 80 columns", () => {
    const lines = frameAt80(<RaceView width={80} rows={[...inProgress, refused]} lease="gpu1" nowEpoch={now} />).split(
      "\n",
    );
    expect(lines[0]).toBe("allocating gpu1: 3 of 4 strategies racing");
    expect(lines.at(-1)).toMatchInlineSnapshot(
      `"4  a100_80:2x2:2h59m-min30m  -    refused     -       sbatch: error: Batch job …"`,
    );
    for (const line of lines) expect([...line].length).toBeLessThanOrEqual(80);
  });

  it("colours states on a colour terminal, and draws no escape codes under NO_COLOR", () => {
    const view = <RaceView width={80} rows={[...decided, refused]} lease="gpu1" nowEpoch={now} />;
    chalk.level = 1;
    const colored = frameAt80(view);
    expect(colored).toContain(`${ESC}32m`); // won
    expect(colored).toContain(`${ESC}31m`); // refused
    paintForStderr({ NO_COLOR: "1" });
    expect(frameAt80(view)).not.toContain(ESC);
  });
});
