import { describe, expect, test } from "vitest";
import { retryAtEpoch } from "../../src/ops/lease-supervise.ts";

describe("when a supervisor that finds a backoff under way is to try again (its stay or its wake-up job)", () => {
  const running = { kind: "running" as const, segment: 3, jobId: "103", parts: { running: 1, of: 2 } };

  test("a lease of parts running while one part waits out its backoff: at that part's backoff end", () => {
    expect(retryAtEpoch({ phase: running, partRetryAtEpoch: 1_800_000_030 })).toBe(1_800_000_030);
  });

  test("a lease retrying: at its backoff end, or a part's if that comes first; nothing waiting: never", () => {
    const retrying = { kind: "retrying" as const, untilEpoch: 1_800_000_120, failures: 2, why: "x" };
    expect(retryAtEpoch({ phase: retrying })).toBe(1_800_000_120);
    expect(retryAtEpoch({ phase: retrying, partRetryAtEpoch: 1_800_000_030 })).toBe(1_800_000_030);
    expect(retryAtEpoch({ phase: running })).toBeNull();
  });
});
