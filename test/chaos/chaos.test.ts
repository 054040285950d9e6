import { describe, expect, test } from "vitest";
import { runChaos, scenarios } from "../../chaos/run.ts";
import { assertBuilt } from "../helpers/rv.ts";

// The chaos suite's short mode (`npm run chaos` runs the long one): each scenario that needs only this machine,
// a few seeded runs, the same checks as the long mode. Its judge has its own tests in history.test.ts.
describe("chaos, short mode, on this machine", () => {
  for (const scenario of scenarios.filter((s) => s.needs === "local")) {
    test(scenario.name, { timeout: 300_000 }, async () => {
      assertBuilt();
      const { rows, problems } = await runChaos({ short: true, only: scenario.name, seed: 1 });
      expect(problems).toEqual([]);
      expect(rows).toEqual([expect.objectContaining({ lost: 0, twice: 0, wrongFinal: 0 })]);
    });
  }
});
