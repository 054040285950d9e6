import { describe, expect, test } from "vitest";
import { filterHref, filterOf } from "../../src/web/page/dashboard.ts";

// The dashboard's filter as its address holds it: a reload or a shared link lists the same tasks.
describe("the dashboard's filter in its address", () => {
  test("read back as written", () => {
    const filter = { state: "failed", tag: "demo", sweep: "sw-1", search: "lr 0.1" };
    expect(filterOf(filterHref(filter).slice("#/?".length))).toEqual(filter);
    expect(filterHref({})).toBe("#/");
  });

  test("a state that is no group of the dashboard's lists every task, even a name every object has", () => {
    for (const state of ["all", "nonsense", "__proto__", "constructor", "toString"]) {
      expect(filterOf(`state=${state}`).state).toBe("");
    }
  });
});
