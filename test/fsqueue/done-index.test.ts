/** The done index (done-index.ts): a cache of done/ that readers trust only while done/ is unchanged. */
import { existsSync, readFileSync, type Stats, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import {
  archiveDone,
  claimTask,
  ensureClaimDir,
  finishClaim,
  headerTrusted,
  type LeasePaths,
  lineId,
  listEntries,
  mtimeSettled,
  RACY_MARGIN_NS,
  readDone,
  readDoneCounts,
  readDoneIndexHeader,
  readPickedCopies,
  readTaskNames,
  recordFile,
  scanDone,
  stampVouches,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { countByState, readLeaseCounts, readLeaseState } from "../../src/lease/index.ts";
import { newestTasks } from "../../src/ops/refs.ts";
import { makeHome } from "../helpers/home.ts";
import { waitFor } from "../helpers/wait.ts";
import { LEASE, makeDone, makeOutcome, makeTask, openLease, publish } from "./factory.ts";

/**
 * Reads of the index's lines (past its header) fail with ESTALE after `failAfter` of them, each `readBytes` long at
 * most; every file opened is in `opened`, so a test can tell which records a reader read.
 */
const indexReads = vi.hoisted(() => ({ failAfter: Infinity, readBytes: Infinity, done: 0, opened: [] as string[] }));
vi.mock("node:fs", async (importOriginal) => {
  const fs = await importOriginal<typeof import("node:fs")>();
  const readSync = (fd: number, buffer: Buffer, offset: number, length: number, position: number) => {
    if (position === 0) return fs.readSync(fd, buffer, offset, length, position);
    if (indexReads.done++ >= indexReads.failAfter) throw Object.assign(new Error("ESTALE"), { code: "ESTALE" });
    return fs.readSync(fd, buffer, offset, Math.min(length, indexReads.readBytes), position);
  };
  const openSync = (...args: Parameters<typeof fs.openSync>) => {
    indexReads.opened.push(String(args[0]));
    return fs.openSync(...args);
  };
  const readFileSync = ((file: unknown, ...rest: unknown[]) => {
    if (typeof file === "string") indexReads.opened.push(file);
    return (fs.readFileSync as (...a: unknown[]) => unknown)(file, ...rest);
  }) as typeof fs.readFileSync;
  const mocked = { readSync, openSync, readFileSync };
  return { ...fs, default: { ...fs, ...mocked }, ...mocked };
});

let home: { root: string; cleanup: () => void };
let p: LeasePaths;

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => {
  home.cleanup();
  Object.assign(indexReads, { failAfter: Infinity, readBytes: Infinity, done: 0, opened: [] });
});

/** Every task the lease's directories list (done/, the inbox, each runner's claims), once, oldest first. */
function listedTasks(): { lease: string; id: string }[] {
  const ids = (dir: string) => listEntries(dir).flatMap((name) => (name.endsWith(".json") ? [name.slice(0, -5)] : []));
  const claimed = listEntries(p.claimed).flatMap((owner) => ids(join(p.claimed, owner)));
  return [...new Set([...ids(p.done), ...ids(p.inbox), ...claimed])].sort().map((id) => ({ lease: LEASE, id }));
}

/** done/ as it stood an hour ago by its mtime: an index built now is settled (trusted until done/ changes). */
function settle(): Date {
  const hourAgo = new Date(Date.now() - 3600_000);
  utimesSync(p.done, hourAgo, hourAgo);
  return hourAgo;
}

function finished(n: number) {
  const tasks = Array.from({ length: n }, () => makeTask());
  for (const task of tasks) writeRecordAtomic(p.tmp, recordFile(p.done, task.id), makeDone(task));
  return tasks;
}

/** done/ as a listing reads it (every line, which builds the index when it is not trusted), split by kind. */
function readDoneAll(p: LeasePaths) {
  const lines = [...readDone(p)];
  return {
    done: lines.flatMap((line) => ("done" in line ? [line.done] : [])),
    unreadable: lines.flatMap((line) => ("unreadable" in line ? [line.unreadable] : [])),
  };
}

const states = (read: ReturnType<typeof readDoneAll>) =>
  read.done.map((d) => `${d.task.id}:${d.task.attempt}:${d.state}`).sort();

describe("the done index is trusted only while done/ is unchanged", () => {
  test("a settled index matching done/'s mtime and whole is trusted; behind, torn or racy it is not", () => {
    const counts = { succeeded: 2, failed: 0, cancelled: 0, dep_failed: 0, unknown: 0 };
    const header = {
      v: 1,
      kind: "done-index",
      dirMtimeNs: "5000000000",
      settled: true,
      count: 2,
      bytes: 9,
      counts,
    } as const;
    // The file must be as long as its header says: its line, a newline, `bytes` more.
    const whole = Buffer.byteLength(JSON.stringify(header)) + 1 + 9;
    expect(headerTrusted(header, whole, 5_000_000_000n)).toBe(true);
    expect(headerTrusted(header, whole - 1, 5_000_000_000n)).toBe(false); // torn
    expect(headerTrusted(header, whole, 5_000_000_001n)).toBe(false); // done/ changed since
    expect(headerTrusted({ ...header, settled: false }, whole, 5_000_000_000n)).toBe(false); // built in the mtime's tick
    expect(headerTrusted(undefined, whole, 5_000_000_000n)).toBe(false);
  });

  test("an index line holds what the views read of a record, not its env or usage", () => {
    const [task] = finished(1);
    readDoneAll(p);
    const line = readFileSync(p.doneIndex, "utf8").split("\n")[1] ?? "";
    expect(JSON.parse(line).done.task).toMatchObject({ id: task?.id, command: task?.command, tags: task?.tags });
    expect(line).not.toContain('"env"');
    expect(line).not.toContain('"submitHost"');
  });

  test("an mtime is settled only when the build began a full margin after it, by the same clock", () => {
    expect(mtimeSettled(10n, 10n + RACY_MARGIN_NS)).toBe(true);
    expect(mtimeSettled(10n, 9n + RACY_MARGIN_NS)).toBe(false);
  });

  test("a reader builds the index from the records, and the next reads it instead of the records", () => {
    const tasks = finished(3);
    settle();
    const truth = states(readDoneAll(p));
    expect(truth).toEqual(states(scanDone(p)));
    expect(readDoneIndexHeader(p)).toMatchObject({ settled: true, count: 3 });
    // A record changed in place (never done by rv: invariant 4) is not seen: proof the index answered.
    writeFileSync(recordFile(p.done, tasks[0]?.id ?? ""), "garbage");
    expect(states(readDoneAll(p))).toEqual(truth);
    expect(scanDone(p).unreadable).toHaveLength(1);
  });

  test("an index built while done/ had just changed is not trusted: the next reader reads the records", () => {
    const tasks = finished(2);
    readDoneAll(p); // done/ changed a moment ago: racy
    expect(readDoneIndexHeader(p)?.settled).toBe(false);
    writeFileSync(recordFile(p.done, tasks[0]?.id ?? ""), "garbage"); // in place: no mtime change of the dir
    expect(readDoneAll(p).unreadable.map((u) => u.id)).toEqual([tasks[0]?.id]);
  });
});

describe("a wrong index never shows a wrong state", () => {
  test("a truncated index is rebuilt from the records", () => {
    finished(5);
    settle();
    readDoneAll(p);
    const text = readFileSync(p.doneIndex, "utf8");
    writeFileSync(p.doneIndex, text.slice(0, Math.floor(text.length / 2)));
    expect(states(readDoneAll(p))).toEqual(states(scanDone(p)));
    expect(readDoneIndexHeader(p)?.count).toBe(5);
  });

  test("a garbage index is rebuilt from the records", () => {
    finished(3);
    writeFileSync(p.doneIndex, "\u0000\u0001 not json\n{]\n");
    expect(states(readDoneAll(p))).toEqual(states(scanDone(p)));
  });

  test("a task archived since the index was built is no longer listed", () => {
    const [kept, archived] = finished(2);
    settle();
    readDoneAll(p);
    archiveDone(p, makeDone(archived ?? makeTask()));
    expect(readDoneAll(p).done.map((d) => d.task.id)).toEqual([kept?.id]);
  });

  test("a task whose done record was replaced by a later attempt shows that attempt", () => {
    const [task] = finished(1);
    if (!task) throw new Error("no task");
    settle();
    readDoneAll(p);
    const next = { ...task, attempt: 2 };
    const claim = recordFile(p.tmp, "claim-stand-in");
    writeFileSync(claim, "{}");
    finishClaim(p, claim, next, makeOutcome({ state: "failed", exitCode: 1 }));
    expect(states(readDoneAll(p))).toEqual([`${task.id}:2:failed`]);
  });

  test("a line for a task whose done record was removed behind rv's back is dropped once done/ changes", () => {
    const [gone, kept] = finished(2);
    settle();
    readDoneAll(p);
    unlinkSync(recordFile(p.done, gone?.id ?? ""));
    expect(readDoneAll(p).done.map((d) => d.task.id)).toEqual([kept?.id]);
  });
});

describe("rv status counts from the index's header as the task list counts from the records", () => {
  const observer = { host: "here", nowMs: Date.now(), staleAfterMs: 60_000, pidAlive: () => true };
  const listed = () => countByState(readLeaseState(p, observer).tasks);

  test("a requeued task, an unreadable record beside a waiting copy, and a blocked dependent count as listed", () => {
    const [ok, failed, requeued, broken] = finished(4);
    if (!ok || !failed || !requeued || !broken) throw new Error("no tasks");
    writeRecordAtomic(p.tmp, recordFile(p.done, failed.id), makeDone(failed, { state: "failed", exitCode: 1 }));
    writeFileSync(recordFile(p.done, broken.id), "garbage"); // in place: done/'s mtime stays
    settle();
    readDoneAll(p);
    expect(readDoneCounts(p)).toMatchObject({ succeeded: 2, failed: 1, unknown: 1 }); // done/ alone
    for (const task of [
      { ...requeued, attempt: 2 },
      broken,
      makeTask({ after: [failed.id] }),
      makeTask({ after: [requeued.id] }),
    ]) {
      writeRecordAtomic(p.tmp, recordFile(p.inbox, task.id), task);
    }
    const counts = readLeaseCounts(p, observer).counts;
    expect(counts).toEqual(listed());
    expect(counts).toMatchObject({ succeeded: 1, failed: 1, pending: 2, dep_failed: 1, blocked: 1, unknown: 0 });
  });

  test("without a trusted header (torn, or done/ changed since) the counts come from the index brought up to date", () => {
    finished(3);
    settle();
    readDoneAll(p);
    writeFileSync(p.doneIndex, readFileSync(p.doneIndex, "utf8").slice(0, -10));
    expect(readDoneCounts(p)).toMatchObject({ succeeded: 3 });
    expect(readLeaseCounts(p, observer).counts).toMatchObject({ succeeded: 3 });
    finished(1);
    expect(readLeaseCounts(p, observer).counts).toEqual(listed());
    expect(listed().succeeded).toBe(4);
    expect(readDoneIndexHeader(p)).toMatchObject({ count: 4, counts: { succeeded: 4 } });
  });
});

describe("the default task list takes done/'s newest ids from the index's header", () => {
  const newest = (count: number) => newestTasks(home.root, [LEASE], count);
  const listed = (count: number) => {
    const all = listedTasks();
    return { newest: all.slice(-count), total: all.length };
  };

  test("with a requeued task (in the inbox and in done/), a waiting one and a claimed one, it lists as listings do", () => {
    const done = finished(130);
    settle();
    readDoneAll(p);
    const requeued = done[5];
    if (!requeued) throw new Error("no task");
    writeRecordAtomic(p.tmp, recordFile(p.inbox, requeued.id), { ...requeued, attempt: 2 });
    publish(p, makeTask());
    const claimed = makeTask();
    publish(p, claimed);
    ensureClaimDir(p, "r1");
    expect(claimTask(p, "r1", claimed.id).kind).toBe("claimed");
    for (const count of [1, 20, 100, 125]) expect(newest(count)).toEqual(listed(count));
    expect(newest(20).total).toBe(132);
  });

  test("the header answered: an id changed in it in place shows; once done/ changes, the listings answer", () => {
    const done = finished(3);
    settle();
    readDoneAll(p);
    const last = done.map((t) => t.id).sort()[2] ?? "";
    const forged = "z".repeat(last.length);
    writeFileSync(p.doneIndex, readFileSync(p.doneIndex, "utf8").replace(`"${last}"]`, `"${forged}"]`));
    expect(newest(20).newest.map((r) => r.id)).toContain(forged);
    finished(1);
    expect(newest(20)).toEqual(listed(20));
    expect(newest(20).total).toBe(4);
  });
});

describe("a listing reads the index a line at a time, in id order", () => {
  const ids = () => [...readDone(p)].map(lineId);

  test("its lines are in id order, a record that does not parse among them", () => {
    const tasks = finished(5);
    writeFileSync(recordFile(p.done, tasks[2]?.id ?? ""), "garbage");
    settle();
    const sorted = tasks.map((t) => t.id).sort();
    expect(ids()).toEqual(sorted); // built from the records
    expect(readDoneIndexHeader(p)).toMatchObject({ sorted: true, count: 5 });
    expect(ids()).toEqual(sorted); // read from the index
    expect(readDoneAll(p).unreadable.map((u) => u.id)).toEqual([tasks[2]?.id]);
  });

  test("an index written before its lines were sorted is rebuilt by the next listing", () => {
    finished(3);
    settle();
    readDoneAll(p);
    const [first = "", ...rest] = readFileSync(p.doneIndex, "utf8").split("\n");
    const { sorted: _, ...older } = JSON.parse(first);
    writeFileSync(p.doneIndex, [JSON.stringify(older), ...rest].join("\n"));
    expect(readDoneCounts(p)).toMatchObject({ succeeded: 3 }); // its header still answers rv status
    expect(ids()).toHaveLength(3);
    expect(readDoneIndexHeader(p)?.sorted).toBe(true);
  });

  const swapped = (i: number) => (text: string) => {
    const lines = text.split("\n");
    [lines[i], lines[i + 1]] = [lines[i + 1] ?? "", lines[i] ?? ""];
    return lines.join("\n");
  };
  const replaced = (i: number, by: string) => (text: string) => {
    const lines = text.split("\n");
    // The header is fixed up to the new length: only the lines can tell the damage.
    const body = [...lines.slice(1, i), by, ...lines.slice(i + 1)].join("\n");
    const header = { ...JSON.parse(lines[0] ?? ""), bytes: Buffer.byteLength(body) };
    return `${JSON.stringify(header)}\n${body}`;
  };

  test.each([
    ["a line that is not an index line", replaced(3, '{"dXne":{}}')],
    ["a line that is JSON but names no task", replaced(3, '{"done":{}}')],
    ["a line that is not JSON", replaced(3, "{]")],
    ["two lines swapped in the middle", swapped(3)],
    ["the first two lines swapped", swapped(1)],
    ["the last two lines swapped", swapped(4)],
  ])("%s: the listing is whole all the same, from the records, and the index is rebuilt", (_, damage) => {
    const tasks = finished(5);
    settle();
    const truth = states(readDoneAll(p));
    writeFileSync(p.doneIndex, damage(readFileSync(p.doneIndex, "utf8")));
    expect(readDoneIndexHeader(p)?.count).toBe(5); // damaged, yet trusted by its header
    expect(ids()).toEqual(tasks.map((t) => t.id).sort());
    expect(readDoneIndexHeader(p)).toMatchObject({ count: 5, sorted: true }); // rebuilt
    expect(states(readDoneAll(p))).toEqual(truth);
  });

  test("a read that fails partway (ESTALE: another host renamed a rebuilt index over it) goes on from the records", () => {
    const tasks = finished(20);
    settle();
    readDoneAll(p);
    // Lines cut across reads; the third read fails, after some lines went out.
    Object.assign(indexReads, { readBytes: 700, failAfter: 2 });
    const read: string[] = [];
    for (const line of readDone(p)) read.push(lineId(line));
    expect(indexReads.done).toBe(3);
    expect(read).toEqual(tasks.map((t) => t.id).sort());
  });

  test("a task's record copied under another name is listed once, as its newer copy", () => {
    const [task, other] = finished(2);
    if (!task || !other) throw new Error("no tasks");
    const retried = { ...task, attempt: 2 };
    writeRecordAtomic(p.tmp, recordFile(p.done, "zzzzcopy"), makeDone(retried, { state: "failed", exitCode: 1 }));
    settle();
    const once = [`${other.id}:1:succeeded`, `${task.id}:2:failed`].sort();
    expect(states(readDoneAll(p))).toEqual(once); // built from the records
    expect(readDoneIndexHeader(p)).toMatchObject({ count: 2, counts: { succeeded: 1, failed: 1 } });
    expect(states(readDoneAll(p))).toEqual(once); // read from the index: not damaged
    expect(ids()).toEqual([task.id, other.id].sort());
  });
});

describe("references name tasks from the index, not by opening every record", () => {
  const names = () => [...readTaskNames(p)].map((t) => `${t.id}:${t.name ?? "-"}:${t.tags.join("+")}`);

  test("a trusted index answers: a record changed in place behind rv's back is not read until done/ changes", () => {
    const [a, b] = finished(2).sort((x, y) => (x.id < y.id ? -1 : 1));
    if (!a || !b) throw new Error("no tasks");
    settle();
    expect(names()).toEqual([`${a.id}:-:`, `${b.id}:-:`]);
    // An edit in place leaves done/'s mtime as it was (invariant 4: rv never writes so): the index still answers.
    writeFileSync(recordFile(p.done, a.id), JSON.stringify(makeDone({ ...a, name: "renamed", tags: ["x"] })));
    expect(names()).toEqual([`${a.id}:-:`, `${b.id}:-:`]);
    const c = finished(1)[0];
    expect(names()).toEqual([`${a.id}:renamed:x`, `${b.id}:-:`, `${c?.id}:-:`]);
  });

  test("each task once, in id order, by its newest copy; a record that does not parse still names its task by id", () => {
    const [requeued, unreadable, ended] = finished(3).sort((x, y) => (x.id < y.id ? -1 : 1));
    if (!requeued || !unreadable || !ended) throw new Error("no tasks");
    writeFileSync(recordFile(p.done, unreadable.id), "garbage");
    settle();
    readDoneAll(p);
    writeRecordAtomic(p.tmp, recordFile(p.inbox, requeued.id), { ...requeued, attempt: 2, name: "again" });
    const waiting = makeTask({ name: "waiting", tags: ["t"] });
    publish(p, waiting);
    expect(names()).toEqual([
      `${requeued.id}:again:`,
      `${unreadable.id}:-:`,
      `${ended.id}:-:`,
      `${waiting.id}:waiting:t`,
    ]);
  });
});

describe("a reader that needs a few tasks whole picks them from the index and reads only their records", () => {
  test("the picked come whole (env and all), by their newest copy; the records not picked are never opened", () => {
    const [other, requeued] = finished(2);
    const picked = makeTask({ env: { SEED: "7" } });
    writeRecordAtomic(p.tmp, recordFile(p.done, picked.id), makeDone(picked));
    if (!other || !requeued) throw new Error("no tasks");
    settle();
    readDoneAll(p);
    // Garbage written in place (rv never writes so): done/'s mtime stands, the index is trusted, the record unread.
    writeFileSync(recordFile(p.done, other.id), "garbage");
    writeRecordAtomic(p.tmp, recordFile(p.inbox, requeued.id), { ...requeued, attempt: 2 });
    const seen: string[] = [];
    const copies = readPickedCopies(p, (copy) => {
      seen.push(`${copy.task.id}:${copy.state}`);
      return copy.task.id !== other.id;
    });
    expect(copies.map((c) => `${c.task.id}:${c.state}:${c.task.attempt}`)).toEqual([
      `${requeued.id}:pending:2`,
      `${picked.id}:done:1`,
    ]);
    expect(copies[1]?.task.env).toEqual({ SEED: "7" });
    // In id order; the picked done task is judged twice (its line, then its record), the others once.
    expect(seen).toEqual([`${other.id}:done`, `${requeued.id}:pending`, `${picked.id}:done`, `${picked.id}:done`]);
  });
});

describe("an index behind done/ is brought up to date by reading only the records that changed", () => {
  /** Waits until every record of done/ is a full racy margin old by the filesystem's clock: a build stamps them. */
  async function aged(): Promise<void> {
    const probe = join(p.tmp, "clock-probe");
    await waitFor(
      () => {
        writeFileSync(probe, "");
        const now = statSync(probe).mtimeMs;
        return listEntries(p.done).every((name) => stampVouches(statSync(join(p.done, name)), now));
      },
      { timeoutMs: 10_000, intervalMs: 100, what: "done/'s records a full racy margin old" },
    );
  }
  const recordsOpened = () =>
    indexReads.opened.filter((file) => file.startsWith(`${p.done}/`)).map((file) => file.slice(p.done.length + 1));
  const stamped = () =>
    readFileSync(p.doneIndex, "utf8")
      .split("\n")
      .slice(1, -1)
      .filter((line) => "stat" in JSON.parse(line)).length;

  test("a record is stamped only when its ctime and mtime are a full margin older than the build", () => {
    const stat = (ctimeMs: number, mtimeMs: number) => ({ ctimeMs, mtimeMs }) as Stats;
    expect(stampVouches(stat(1000, 1000), 3000)).toBe(true);
    expect(stampVouches(stat(1001, 1000), 3000)).toBe(false); // renamed in within the margin
    expect(stampVouches(stat(1000, 1001), 3000)).toBe(false);
  });

  test("records that stat as their lines say are kept unread; a new one, a replaced one and a removed one are read or dropped", async () => {
    const [kept, replaced, removed] = finished(3).sort((a, b) => (a.id < b.id ? -1 : 1));
    if (!kept || !replaced || !removed) throw new Error("no tasks");
    await aged();
    readDoneAll(p);
    expect(stamped()).toBe(3);
    const claim = recordFile(p.tmp, "claim-stand-in");
    writeFileSync(claim, "{}");
    finishClaim(p, claim, { ...replaced, attempt: 2 }, makeOutcome({ state: "failed", exitCode: 1 }));
    unlinkSync(recordFile(p.done, removed.id));
    const [added] = finished(1);
    indexReads.opened.length = 0;
    const read = states(readDoneAll(p));
    expect(recordsOpened().sort()).toEqual([`${replaced.id}.json`, `${added?.id}.json`].sort());
    expect(read).toEqual(states(scanDone(p)));
    expect(read).toEqual([`${kept.id}:1:succeeded`, `${replaced.id}:2:failed`, `${added?.id}:1:succeeded`].sort());
    // rv status the same way: it reads no record whose stamp stands (the two read last time were too new to stamp).
    const [newest] = finished(1);
    indexReads.opened.length = 0;
    expect(readDoneCounts(p)).toMatchObject({ succeeded: 3, failed: 1 });
    expect(recordsOpened().sort()).toEqual([replaced.id, added?.id, newest?.id].map((id) => `${id}.json`).sort());
  });

  test("a kept line damaged past its stamp: the listing reads its record, and the next reader rebuilds the index", async () => {
    const [damaged, other] = finished(2).sort((a, b) => (a.id < b.id ? -1 : 1));
    await aged();
    readDoneAll(p);
    const text = readFileSync(p.doneIndex, "utf8");
    const at = text.indexOf(`"done":`, text.indexOf(`"id":"${damaged?.id}"`));
    writeFileSync(p.doneIndex, `${text.slice(0, at)}"done":{]${text.slice(at + 9)}`);
    finished(1); // done/ changed: a refresh, which keeps the damaged line by its stamp
    const read = states(readDoneAll(p));
    expect(read).toEqual(states(scanDone(p)));
    expect(read).toEqual(expect.arrayContaining([`${damaged?.id}:1:succeeded`, `${other?.id}:1:succeeded`]));
    expect(existsSync(p.doneIndex)).toBe(false);
    expect(states(readDoneAll(p))).toEqual(read);
    expect(readFileSync(p.doneIndex, "utf8")).not.toContain('"done":{]');
  });
});
