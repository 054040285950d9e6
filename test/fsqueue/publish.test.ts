import { existsSync, readdirSync, readFileSync, watch } from "node:fs";
import { afterEach, beforeEach, expect, test } from "vitest";
import { batchSync, SYNCFS_FROM_FILES } from "../../src/fsqueue/durable.ts";
import {
  type LeasePaths,
  listRecordKeys,
  newTaskIds,
  parseRecord,
  publishBatch,
  publishTask,
  readTaskSecrets,
  recordFile,
  redrawTaskId,
  secretsFile,
  TaskSchema,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { LEASE, makeTask, openLease } from "./factory.ts";
import { goAll, startWorkers } from "./workers.ts";

let home: ReturnType<typeof makeHome>;
beforeEach(() => {
  home = makeHome();
});
afterEach(() => home.cleanup());

test("invariant 1: publish never replaces a task already in the inbox (an id drawn twice loses nothing)", () => {
  const p = openLease(home.root);
  const first = makeTask({ name: "first" });
  expect(publishTask(p, first)).toBe("published");
  expect(publishTask(p, { ...first, name: "second" })).toBe("exists");
  const kept = TaskSchema.parse(JSON.parse(readFileSync(recordFile(p.inbox, first.id), "utf8")));
  expect(kept.name).toBe("first");
});

test("a batch of ids is unique and sorts in submission order, even within one millisecond", () => {
  const ids = newTaskIds(5000, Date.parse("2026-01-01T00:00:00Z"));
  expect(new Set(ids).size).toBe(5000);
  expect([...ids].sort()).toEqual(ids);
});

test("an id drawn again keeps its time, so the task keeps its place in line", () => {
  const [before, id, after] = newTaskIds(3, Date.parse("2026-01-01T00:00:00Z")) as [string, string, string];
  const again = redrawTaskId(id);
  expect(again).not.toBe(id);
  expect(again.slice(0, 9)).toBe(id.slice(0, 9));
  expect([after, again, before].sort()).toEqual([before, again, after]);
});

test("a batch is made durable by one syncfs only where the kernel reports write-back errors to it, and is large", () => {
  expect(batchSync(SYNCFS_FROM_FILES, "linux", "6.8.0-1019-gcp")).toBe("filesystem");
  expect(batchSync(10_000, "linux", "5.8.0")).toBe("filesystem");
  expect(batchSync(10_000, "linux", "5.15.153.1-microsoft-standard-WSL2")).toBe("filesystem");
  // Before 5.8 syncfs answered 0 whatever it lost (RHEL 8's 4.18): each file is fsynced.
  expect(batchSync(10_000, "linux", "5.7.19")).toBe("each");
  expect(batchSync(10_000, "linux", "4.18.0-553.el8_10.x86_64")).toBe("each");
  expect(batchSync(10_000, "darwin", "23.4.0")).toBe("each");
  expect(batchSync(SYNCFS_FROM_FILES - 1, "linux", "6.8.0")).toBe("each");
});

/** Every inbox file parsed whole, as [key, name], in key order; a file that does not parse fails the test. */
function inboxTasks(p: LeasePaths, noteBytes: number): [string, string | undefined][] {
  return listRecordKeys(p.inbox).map((key) => {
    const parsed = parseRecord(readFileSync(recordFile(p.inbox, key), "utf8"), TaskSchema);
    if (!parsed.ok) throw new Error(`inbox/${key}.json: ${parsed.reason}`);
    expect(parsed.value.note).toHaveLength(noteBytes);
    return [key, parsed.value.name];
  });
}

test("a batch is linked in submission order, secrets first, and leaves nothing in tmp/", () => {
  const p = openLease(home.root);
  const tasks = Array.from({ length: 2 * SYNCFS_FROM_FILES }, (_, i) => makeTask({ name: `t${i}`, note: "n" }));
  expect(publishBatch(p, tasks, { TOKEN: "s3cret" })).toBe(tasks.length);
  expect(inboxTasks(p, 1)).toEqual(tasks.map((task) => [task.id, task.name]));
  for (const task of tasks) expect(readTaskSecrets(p, task.id)).toEqual({ TOKEN: "s3cret" });
  expect(readdirSync(p.tmp)).toEqual([]);
});

test("a batch stops at a task whose id is taken: those before it are published, none after, its secrets taken back", () => {
  const p = openLease(home.root);
  const tasks = Array.from({ length: 5 }, (_, i) => makeTask({ name: `t${i}`, note: "n" }));
  const theirs = { ...(tasks[2] as (typeof tasks)[number]), name: "theirs" };
  expect(publishTask(p, theirs)).toBe("published");
  expect(publishBatch(p, tasks, { TOKEN: "s3cret" })).toBe(2);
  expect(inboxTasks(p, 1).map(([, name]) => name)).toEqual(["t0", "t1", "theirs"]);
  expect(tasks.map((task) => existsSync(secretsFile(p, task.id)))).toEqual([true, true, false, false, false]);
  expect(readdirSync(p.tmp)).toEqual([]);
});

test("invariant 1: publish is atomic — a batch killed at any instant leaves whole tasks only, the first ones in submission order; every task it reported is in the inbox", async () => {
  const count = 2000;
  const noteBytes = 1000;
  /** Publishes a batch in another process, killed (SIGKILL) the moment `dirOf(p)` first changes. */
  const killedWhen = async (lease: string, dirOf: (p: LeasePaths) => string) => {
    const p = openLease(home.root, lease);
    const [worker] = await startWorkers([["publish-batch", home.root, lease, String(count), String(noteBytes)]]);
    if (!worker) throw new Error("no worker");
    const watcher = watch(dirOf(p), () => worker.process.kill("SIGKILL"));
    worker.process.stdin?.write("go\n");
    await worker.process.catch(() => undefined);
    watcher.close();
    return p;
  };
  for (const p of [await killedWhen("staging", (q) => q.tmp), await killedWhen("linking", (q) => q.inbox)]) {
    const names = inboxTasks(p, noteBytes).map(([, name]) => name);
    expect(names).toEqual(names.map((_, i) => `t${i}`));
    // What was being written stays in tmp/, under names no reader looks at.
    expect(readdirSync(p.tmp).filter((name) => name.endsWith(".json"))).toEqual([]);
  }
  const p = openLease(home.root);
  const [result] = await goAll<{ published: string[] }>(
    await startWorkers([["publish-batch", home.root, LEASE, String(count), String(noteBytes)]]),
  );
  expect(result?.published).toHaveLength(count);
  expect(inboxTasks(p, noteBytes).map(([key]) => key)).toEqual(result?.published);
});
