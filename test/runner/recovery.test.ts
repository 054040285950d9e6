import { existsSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import {
  claimFile,
  claimTask,
  controlFile,
  ensureClaimDir,
  type Heartbeat,
  type LeasePaths,
  publishTask,
  requestControl,
  type Task,
  writeHeartbeat,
} from "../../src/fsqueue/index.ts";
import { makeHeartbeat } from "../fsqueue/factory.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask } from "./factory.ts";
import { eventsOf, type InProcessRunner, paths, startRunner, waitDone } from "./harness.ts";

const LEASE = "recover";
let home: ReturnType<typeof makeHome>;
let runner: InProcessRunner | undefined;
let timers: NodeJS.Timeout[] = [];

beforeEach(() => {
  home = makeHome();
});
afterEach(async () => {
  for (const timer of timers) clearInterval(timer);
  timers = [];
  await runner?.stop();
  home.cleanup();
});

/** A runner on another host, as its heartbeat shows it; its clock is an hour ahead of ours. */
function remoteBeat(runner: string, counter: number): Heartbeat {
  const time = new Date(Date.now() + 3600_000).toISOString();
  return makeHeartbeat({ runner, lease: LEASE, host: "node-elsewhere", pid: 1, counter, time, startedAt: time });
}

function claimedBy(p: LeasePaths, owner: string, task: Task): string {
  ensureClaimDir(p, owner);
  publishTask(p, task);
  const claim = claimTask(p, owner, task.id);
  if (claim.kind !== "claimed") throw new Error(`could not claim ${task.id}: ${claim.kind}`);
  return claim.file;
}

describe("recovery by the observer's clock", () => {
  it("a remote runner whose counter stands still is recovered; one whose counter moves is left alone", async () => {
    const p = paths(home.root, LEASE);
    const frozen = "node-elsewhere-100-frozen";
    const beating = "node-elsewhere-200-alive0";
    const lost = makeTask(LEASE);
    const held = makeTask(LEASE);
    claimedBy(p, frozen, lost);
    const heldClaim = claimedBy(p, beating, held);
    writeHeartbeat(p, remoteBeat(frozen, 7));
    let counter = 0;
    writeHeartbeat(p, remoteBeat(beating, counter));
    timers.push(setInterval(() => writeHeartbeat(p, remoteBeat(beating, ++counter)), 200));

    const started = Date.now();
    runner = startRunner(home.root, LEASE);
    const done = await waitDone(p, lost.id);
    expect(done).toMatchObject({ state: "succeeded", task: { attempt: 2, crashes: 1 } });
    expect(Date.now() - started, "stale only after staleAfterMs of our own clock").toBeGreaterThanOrEqual(1500);
    expect(eventsOf(p, "recovered", lost.id)[0]?.detail).toBe(`claimed by ${frozen} (stale): requeued as attempt 2`);
    expect(existsSync(heldClaim), "the beating runner keeps its claim").toBe(true);
    expect(eventsOf(p, "recovered", held.id)).toEqual([]);
  });
});

describe("claim directories without a heartbeat (a client that died mid-way)", () => {
  it("are settled once unchanged for staleAfterMs: cancelled when a cancel was asked, else requeued and run", async () => {
    const p = paths(home.root, LEASE);
    const client = "laptop-4242-cli000";
    const cancelling = makeTask(LEASE);
    const stranded = makeTask(LEASE);
    requestControl(p, cancelling.id, "cancel", client, new Date());
    claimedBy(p, client, cancelling);
    claimedBy(p, client, stranded);

    runner = startRunner(home.root, LEASE);
    expect(await waitDone(p, cancelling.id)).toMatchObject({ state: "cancelled", startedAt: null });
    expect(await waitDone(p, stranded.id)).toMatchObject({ state: "succeeded", task: { attempt: 2 } });
    expect(existsSync(claimFile(p, client, stranded.id))).toBe(false);
    await waitFor(() => !existsSync(controlFile(p, cancelling.id, "cancel")), {
      what: "the settled cancel to be removed",
    });
    expect(
      eventsOf(p, "recovered")
        .map((event) => event.task)
        .sort(),
    ).toEqual([cancelling.id, stranded.id].sort());
  });
});
