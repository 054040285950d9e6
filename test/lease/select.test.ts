import { describe, expect, it } from "vitest";
import { chooseLease, type LeaseFacts, leasesToShow } from "../../src/lease/index.ts";

const lease = (id: string, createdAt: string, live: boolean, state: "active" | "released" = "active"): LeaseFacts => ({
  id,
  createdAt,
  live,
  state,
});

describe("chooseLease", () => {
  it("takes the named lease as given", () => {
    expect(chooseLease("x", [], "local")).toEqual({ kind: "named", lease: "x" });
  });

  it("starts the default lease when none is running, even if dead or released ones exist", () => {
    const leases = [lease("a", "2026-01-01T00:00:00Z", false), lease("b", "2026-01-02T00:00:00Z", true, "released")];
    expect(chooseLease(undefined, leases, "local")).toEqual({ kind: "start-default", lease: "local" });
  });

  it("uses the only live lease, or the most recent of several and names the others", () => {
    const one = [lease("a", "2026-01-01T00:00:00Z", true), lease("b", "2026-01-02T00:00:00Z", false)];
    expect(chooseLease(undefined, one, "local")).toEqual({ kind: "only-live", lease: "a" });
    const two = [lease("a", "2026-01-01T00:00:00Z", true), lease("b", "2026-01-02T00:00:00Z", true)];
    expect(chooseLease(undefined, two, "local")).toEqual({ kind: "most-recent-live", lease: "b", others: ["a"] });
  });
});

describe("leasesToShow", () => {
  it("shows active leases, or all when none is active", () => {
    const mixed = [lease("a", "1", false, "released"), lease("b", "2", false)];
    expect(leasesToShow(undefined, mixed)).toEqual(["b"]);
    expect(leasesToShow(undefined, [lease("a", "1", false, "released")])).toEqual(["a"]);
    expect(leasesToShow("z", mixed)).toEqual(["z"]);
  });
});
