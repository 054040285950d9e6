import { describe, expect, test } from "vitest";
import { parsePortSpec } from "../../src/cli/commands/forward.ts";

describe("parsePortSpec", () => {
  test("PORT forwards to the same local port unless it is taken; PORT:LOCAL names the local one", () => {
    expect(parsePortSpec("8888")).toEqual({ port: 8888, local: null });
    expect(parsePortSpec("8888:9999")).toEqual({ port: 8888, local: 9999 });
  });

  test("anything else is refused with the form it takes", () => {
    for (const bad of ["", "0", "65536", "88a", "8888:", ":8888", "1:2:3", "-1", "localhost:8888"]) {
      expect(() => parsePortSpec(bad), bad).toThrow(/not a port or PORT:LOCAL/);
    }
  });
});
