import { describe, expect, test } from "vitest";
import { runChaos, scenarios } from "../../chaos/run.ts";
import { assertBuilt } from "../helpers/rv.ts";

// The chaos suite's short mode for the scenarios that need the dev cluster (its sshd, its Slurm).
describe("chaos, short mode, with the dev cluster", () => {
  for (const scenario of scenarios.filter((s) => s.needs === "cluster")) {
    test(scenario.name, { timeout: 600_000 }, async () => {
      assertBuilt();
      const { rows, problems } = await runChaos({ short: true, only: scenario.name, seed: 1 });
      expect(problems).toEqual([]);
      expect(rows).toEqual([expect.objectContaining({ lost: 0, twice: 0, wrongFinal: 0 })]);
    });
  }
});
