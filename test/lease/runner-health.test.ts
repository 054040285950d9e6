import { describe, expect, test } from "vitest";
import { tasksTooLarge } from "../../src/lease/runner-health.ts";

const runner = (health: string, gpus: number, cpus: number, tooLarge?: string[]) => ({
  health,
  gpus: Array.from({ length: gpus }, (_, i) => String(i)),
  cpus,
  ...(tooLarge && { tooLarge }),
});

describe("tasks no runner of the lease will ever run", () => {
  test("those the largest live runners report: every part of a lease of parts is as large", () => {
    expect(tasksTooLarge([runner("ok", 1, 8, ["b", "a"]), runner("ok", 1, 8, ["c"])])).toEqual(["a", "b", "c"]);
  });

  test("a task a smaller runner cannot hold may wait for a larger live one: not named", () => {
    expect(tasksTooLarge([runner("ok", 1, 8, ["a"]), runner("ok", 2, 8)])).toEqual([]);
    expect(tasksTooLarge([runner("ok", 2, 4, ["a"]), runner("draining", 2, 8)])).toEqual([]);
  });

  test("stale, gone and exited runners count for nothing", () => {
    expect(tasksTooLarge([runner("ok", 1, 8, ["a"]), runner("stale", 4, 8)])).toEqual(["a"]);
    expect(tasksTooLarge([runner("exited", 1, 8, ["a"])])).toEqual([]);
  });
});
