import { existsSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { expect, it } from "vitest";
import { nextAttempt, publishTask, readDoneOne, recordFile, taskLogFile } from "../../src/fsqueue/index.ts";
import { waitFor } from "../helpers/wait.ts";
import { makeTask, shellTask } from "./factory.ts";
import { eventsOf, paths, taskLog, useRunnerHome, waitDone } from "./harness.ts";

const LEASE = "bad";
const home = useRunnerHome();

/** Drops a file into the inbox the way a careless writer would, but whole (through tmp/ and a rename). */
function drop(dir: { tmp: string; inbox: string }, name: string, content: string): void {
  writeFileSync(join(dir.tmp, name), content);
  renameSync(join(dir.tmp, name), join(dir.inbox, name));
}

it("garbage and schema-breaking files land in bad/ with a .why, and the other tasks run on", async () => {
  const p = paths(home.root, LEASE);
  const first = makeTask(LEASE);
  publishTask(p, first);
  drop(p, "0000garbage.json", "this is { not json");
  const { gpus: _gpus, ...noGpus } = makeTask(LEASE);
  drop(p, "0000schema.json", JSON.stringify({ ...noGpus, cpus: "lots" }));
  drop(p, "0000future.json", JSON.stringify({ ...makeTask(LEASE), v: 2 }));
  home.start(LEASE);
  const last = makeTask(LEASE);
  publishTask(p, last);

  expect((await waitDone(p, first.id)).state).toBe("succeeded");
  expect((await waitDone(p, last.id)).state).toBe("succeeded");
  const whys = await waitFor(
    () => {
      const names = readdirSync(p.bad).filter((name) => name.endsWith(".why"));
      return names.length === 3 ? names.sort() : undefined;
    },
    { what: "three .why files" },
  );
  const why = (prefix: string) => readFileSync(join(p.bad, whys.find((name) => name.startsWith(prefix)) ?? ""), "utf8");
  expect(why("0000garbage.json")).toMatch(/^not JSON/);
  expect(why("0000schema.json")).toMatch(/^schema: /);
  expect(why("0000future.json")).toContain("protocol version v=2");
  expect(readdirSync(p.inbox)).toEqual([]);
  expect(eventsOf(p, "quarantined")).toHaveLength(3);
});

/** The reasons beside the files in bad/, once there are `count` of them. */
function whysOnce(dir: string, count: number): Promise<string[]> {
  return waitFor(
    () => {
      const names = readdirSync(dir).filter((name) => name.endsWith(".why"));
      return names.length === count ? names.map((name) => readFileSync(join(dir, name), "utf8")) : undefined;
    },
    { what: `${count} .why files` },
  );
}

it("a finished task's file put back in the inbox by hand lands in bad/; its logs and done record stay as they were", async () => {
  const p = paths(home.root, LEASE);
  const task = shellTask(LEASE, 'echo "ran attempt $RV_ATTEMPT"');
  publishTask(p, task);
  home.start(LEASE);
  const done = await waitDone(p, task.id);
  const record = readFileSync(recordFile(p.done, task.id), "utf8");

  drop(p, `${task.id}.json`, JSON.stringify(task));
  const [why] = await whysOnce(p.bad, 1);
  expect(why).toBe(
    `task ${task.id} attempt 1 ran already (its done record is attempt 1): rv requeue ${task.id} runs it again as a new attempt\n`,
  );
  expect(readdirSync(p.bad)).toContainEqual(expect.stringMatching(new RegExp(`^${task.id}\\.json\\.[0-9a-z]{4}$`)));
  expect(readdirSync(p.inbox)).toEqual([]);
  expect(taskLog(p, task.id, 1, "out")).toBe("ran attempt 1\n");
  expect(readFileSync(recordFile(p.done, task.id), "utf8")).toBe(record);
  expect(eventsOf(p, "started", task.id)).toHaveLength(1);
  expect(eventsOf(p, "quarantined").map((e) => e.detail)).toEqual([`${task.id}: ${why?.trim()}`]);

  // What rv requeue puts back, the next attempt, runs as ever.
  publishTask(p, nextAttempt(done.task, "asked"));
  const again = await waitFor(
    () => (readDoneOne(p, task.id)?.task.attempt === 2 ? readDoneOne(p, task.id) : undefined),
    {
      what: "attempt 2 to finish",
    },
  );
  expect(again.state).toBe("succeeded");
  expect(taskLog(p, task.id, 2, "out")).toBe("ran attempt 2\n");
  expect(taskLog(p, task.id, 1, "out")).toBe("ran attempt 1\n");
});

it("a task whose lease field names another lease lands in bad/ with the reason, and nothing of it runs", async () => {
  const p = paths(home.root, LEASE);
  const stray = shellTask("elsewhere", "echo should not run");
  drop(p, `${stray.id}.json`, JSON.stringify(stray));
  home.start(LEASE);
  const next = makeTask(LEASE);
  publishTask(p, next);

  expect((await waitDone(p, next.id)).state).toBe("succeeded");
  expect(await whysOnce(p.bad, 1)).toEqual([
    `task ${stray.id} belongs to lease elsewhere, not to this lease (${LEASE}): submit it there\n`,
  ]);
  expect(existsSync(recordFile(p.done, stray.id))).toBe(false);
  expect(existsSync(taskLogFile(p, stray.id, 1, "out"))).toBe(false);
  expect(eventsOf(p, "started", stray.id)).toEqual([]);
  expect(readdirSync(p.inbox)).toEqual([]);
});
