import { hostname } from "node:os";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { loadConfig } from "../../src/config/index.ts";
import {
  archiveDone,
  claimTask,
  EventLog,
  ensureClaimDir,
  finishClaim,
  type LeasePaths,
  publishTask,
  recordFile,
  writeHeartbeat,
} from "../../src/fsqueue/index.ts";
import { newLocalLease, writeLease } from "../../src/lease/store.ts";
import { budgetedMs } from "../../src/ops/follow.ts";
import { localPlace, waitOp } from "../../src/ops/index.ts";
import { LEASE, makeHeartbeat, makeOutcome, makeTask, openLease } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";

/**
 * `rv wait` on a lease no runner serves: tasks that end with no done/ record of their own, or whose record is gone
 * before the wait looks, still end the wait (a wait reads a task again only when it may have changed).
 */
describe("rv wait, with no runner to record the ends", () => {
  let home: { root: string; cleanup: () => void };
  let p: LeasePaths;
  beforeEach(() => {
    home = makeHome();
    p = openLease(home.root);
    writeLease(home.root, newLocalLease(LEASE, "laptop", new Date(), {}));
  });
  afterEach(() => home.cleanup());

  /** The wait, and when it first told its tally: it has looked at the task since it started. */
  const startWait = (id: string, timeoutMs = 10_000) => {
    let looked = false;
    const sink = { out() {}, err() {}, note() {}, progress: () => (looked = true) };
    const place = localPlace(home.root, loadConfig(home.root, {}), {});
    const input = { select: { refs: [id], lease: LEASE }, timeoutMs, progress: true };
    return { result: place.call(waitOp, input, { sink }), looked: () => waitFor(() => looked) };
  };

  it("ends with the task dep_failed once its dependency fails meanwhile", async () => {
    const first = makeTask();
    const then = makeTask({ after: [first.id] });
    publishTask(p, first);
    publishTask(p, then);
    const waited = startWait(then.id);
    await waited.looked(); // blocked: it waits for the first
    finishClaim(p, recordFile(p.inbox, first.id), first, makeOutcome({ state: "failed", exitCode: 1 }));
    const result = await waited.result;
    expect(result.timedOut).toBe(false);
    expect(result.tasks.map((t) => t?.state)).toEqual(["dep_failed"]);
  });

  it("ends once the task ended and was archived between two looks", async () => {
    const task = makeTask();
    publishTask(p, task);
    const waited = startWait(task.id);
    await waited.looked();
    archiveDone(p, finishClaim(p, recordFile(p.inbox, task.id), task, makeOutcome()));
    const result = await waited.result;
    expect(result).toMatchObject({ timedOut: false, tasks: [null] });
  });

  it("at its deadline shows a task its runner started since its last heartbeat, started as its own event says", async () => {
    const [other, task] = [makeTask(), makeTask()];
    const runner = "node1-100-abcdef";
    writeHeartbeat(p, makeHeartbeat({ runner, host: hostname(), pid: process.pid }));
    const events = new EventLog(p, runner);
    for (const [started, at] of [
      [other, "2025-01-01T00:01:00.000Z"],
      [task, "2025-01-01T00:02:00.000Z"],
    ] as const) {
      publishTask(p, started);
      ensureClaimDir(p, runner);
      expect(claimTask(p, runner, started.id).kind).toBe("claimed");
      events.append({ type: "started", task: started.id, attempt: 1, pid: 7 }, new Date(at));
    }
    events.close();
    const result = await startWait(task.id, 300).result;
    expect(result.timedOut).toBe(true);
    expect(result.tasks).toMatchObject([{ state: "running", runner, startedAt: "2025-01-01T00:02:00.000Z" }]);
  });
});

describe("how often a wait looks at its tasks' files (budgetedMs)", () => {
  it("polls a few tasks at its least interval", () => {
    expect(budgetedMs(1, 250, 200)).toBe(250);
    expect(budgetedMs(50, 250, 200)).toBe(250);
  });

  it("polls many no faster than the budget of looks a second allows, and faster as they end", () => {
    // 2,000 open tasks at 200 looks a second: every 10 s; 400: every 2 s
    expect(budgetedMs(2000, 250, 200)).toBe(10_000);
    expect(budgetedMs(400, 250, 200)).toBe(2_000);
    expect(budgetedMs(2000, 1000, 100)).toBe(20_000);
  });
});
