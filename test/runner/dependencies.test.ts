import { expect, it } from "vitest";
import {
  dropOwnFile,
  LOCK_STALE_MS,
  latestState,
  nextAttempt,
  publishTask,
  readDoneOne,
  readSnapshot,
  takeFile,
} from "../../src/fsqueue/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask, shellTask } from "./factory.ts";
import { paths, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "deps";
const home = useRunnerHome();

it("a dependent judged while its dependency is requeued is not recorded dep_failed: it waits for the new attempt", async () => {
  const p = paths(home.root, LEASE);
  home.spawn(LEASE);
  const prep = shellTask(LEASE, 'test "$RV_ATTEMPT" -gt 1');
  const train = makeTask(LEASE, { after: [prep.id] });
  publishTask(p, prep);
  publishTask(p, train);
  expect((await waitDone(p, train.id)).depFailed).toBe(prep.id);

  // A requeue holds the lock while it puts the chain back (ops/requeue.ts); the runner judges `evaluate` meanwhile.
  const lock = takeFile(p.dependenciesLock, new Date(), LOCK_STALE_MS, undefined, "while-holder-runs");
  if (!lock.taken) throw new Error("the dependencies lock is held");
  const evaluate = makeTask(LEASE, { after: [train.id] });
  publishTask(p, evaluate);
  await waitFor(() => latestState(readSnapshot(p)).get(evaluate.id)?.state !== "pending", {
    what: "the runner to claim evaluate as dep_failed",
  });
  for (const task of [prep, train]) {
    const done = readDoneOne(p, task.id);
    if (!done) throw new Error(`no done record of ${task.id}`);
    publishTask(p, nextAttempt(done.task, "asked"));
  }
  dropOwnFile(p.dependenciesLock, lock.token);

  const ended = await waitDone(p, evaluate.id);
  expect(ended).toMatchObject({ state: "succeeded", task: { attempt: 1 } });
  expect(readDoneOne(p, train.id)).toMatchObject({ state: "succeeded", task: { attempt: 2 } });
});
