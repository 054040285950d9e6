/** How a reader shows a runner: a dead one holds its tasks until they are recovered, then it is gone. */
import { describe, expect, test } from "vitest";
import { type Observer, runnerView } from "../../src/lease/index.ts";
import { makeHeartbeat } from "../fsqueue/factory.ts";

const NOW = Date.parse("2025-01-01T12:00:00Z");
const observer = (pidAlive: boolean): Observer => ({
  host: "node1",
  nowMs: NOW,
  staleAfterMs: 30_000,
  pidAlive: () => pidAlive,
});

/** A runner on node1 that was running one task on GPU 1 of two when it last beat, a second ago. */
const hb = makeHeartbeat({
  host: "node1",
  time: new Date(NOW - 1000).toISOString(),
  running: [{ task: "t1", key: "t1", attempt: 1, pid: 4242, gpus: ["1"], cpus: 1, startedAt: "2025-01-01T11:00:00Z" }],
  gpus: ["0", "1"],
  freeGpus: ["0"],
  cpus: 4,
  freeCpus: 3,
});

describe("a runner's view", () => {
  test("a dead runner whose claim is not yet recovered is stale and still holds its task and GPU", () => {
    expect(runnerView(hb, observer(false), undefined, () => true)).toMatchObject({
      health: "stale",
      running: 1,
      gpus: ["0", "1"],
      freeGpus: ["0"],
    });
  });

  test("once its claims are recovered it is gone, holding no task, GPU or CPU", () => {
    const seenSecondAgo = { counter: hb.counter, seenAtMs: NOW - 1000 };
    expect(runnerView(hb, observer(false), seenSecondAgo, () => false)).toMatchObject({
      health: "gone",
      running: 0,
      gpus: [],
      freeGpus: [],
      cpus: 0,
      freeCpus: 0,
      heartbeatAgeMs: 1000,
    });
  });

  test("a live runner is never asked for its claims: it holds what its heartbeat says", () => {
    const asked = () => {
      throw new Error("a live runner's claims are not listed");
    };
    expect(runnerView(hb, observer(true), undefined, asked)).toMatchObject({ health: "ok", running: 1 });
    expect(runnerView({ ...hb, state: "exited", running: [] }, observer(false), undefined, asked).health).toBe(
      "exited",
    );
  });
});
