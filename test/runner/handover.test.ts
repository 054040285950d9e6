/**
 * Overlap renewal, on real runners: the next segment's runner starts while the old one still runs a task. The
 * old runner stops claiming, lets its task finish (not interrupted, not requeued) and exits; the new one
 * takes every task published after it started.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { hasControl, publishTask } from "../../src/fsqueue/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { shellTask } from "./factory.ts";
import { eventsOf, paths, taskLog, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "overlap";
const home = useRunnerHome();

describe("a runner that takes over from the segment before it", () => {
  it("lets the old runner finish its task and exit, and claims what comes after", async () => {
    const p = paths(home.root, LEASE);
    const release = join(home.root, "release");
    const long = shellTask(LEASE, `echo started; until [ -e ${release} ]; do sleep 0.1; done; echo finished`);
    publishTask(p, long);
    const old = home.start(LEASE, { segment: "0", cpus: 2 });
    await waitFor(() => taskLog(p, long.id, 1, "out").includes("started"), { what: "the old runner's task" });

    const successor = home.start(LEASE, { segment: "1", cpus: 2, takeOverFrom: "0" });
    await waitFor(() => hasControl(p, "segment-0", "drain"), { what: "the take-over request" });
    await waitFor(() => eventsOf(p, "draining").length === 1, { what: "the old runner to stop claiming" });
    const next = shellTask(LEASE, "echo next");
    publishTask(p, next);
    const nextDone = await waitDone(p, next.id);

    writeFileSync(release, "");
    const exit = await old.exit;
    expect(exit).toMatchObject({ reason: "handed-over", finished: 1, requeued: 0 });
    const longDone = await waitDone(p, long.id);
    expect(longDone).toMatchObject({ state: "succeeded", task: { attempt: 1 } });
    expect(longDone.runner).toBe(exit.runner);
    expect(nextDone.runner).not.toBe(exit.runner);
    expect((await successor.stop()).reason).not.toBe("handed-over");
  });

  it("leaves a runner of another segment alone", async () => {
    const p = paths(home.root, LEASE);
    const other = home.start(LEASE, { segment: "4", cpus: 1 });
    home.start(LEASE, { segment: "1", cpus: 1, takeOverFrom: "0" });
    await waitFor(() => hasControl(p, "segment-0", "drain"), { what: "the take-over request" });
    const task = shellTask(LEASE, "echo hi");
    publishTask(p, task);
    await waitDone(p, task.id);
    expect(eventsOf(p, "draining")).toEqual([]);
    expect((await other.stop()).reason).toBe("aborted");
  });
});
