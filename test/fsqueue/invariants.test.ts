/**
 * One test (or a few) per invariant of protocol v1, named after it (src/fsqueue/PROTOCOL.md lists them).
 * Each runs on a private temp RV_HOME and fails if its invariant is broken.
 */
import {
  closeSync,
  existsSync,
  fstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { RvError } from "../../src/errors.ts";
import {
  type ClaimResult,
  ControlSchema,
  claimDir,
  claimFile,
  claimTask,
  DoneSchema,
  EventLog,
  EventSchema,
  ensureClaimDir,
  eventsFile,
  finishClaim,
  finishClaimAsync,
  HeartbeatSchema,
  heartbeatFile,
  judgeLiveness,
  type LeasePaths,
  LeaseSchema,
  latestState,
  listBad,
  listRecordKeys,
  observe,
  PROTOCOL_VERSION,
  parseRecord,
  type Recovery,
  readDoneOne,
  readPending,
  readRecord,
  readSnapshot,
  recordFile,
  recoverClaims,
  requestControl,
  requeueClaim,
  type Task,
  TaskSchema,
  writeHeartbeat,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { LEASE, makeDone, makeHeartbeat, makeOutcome, makeTask, openLease, publish } from "./factory.ts";
import { goAll, race, startWorkers } from "./workers.ts";

let home: { root: string; cleanup: () => void };
let p: LeasePaths;
const ctx = { host: "observer", runner: "cli-1", now: new Date("2025-01-02T00:00:00Z") };

beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

function claimOrFail(owner: string, key: string): Extract<ClaimResult, { kind: "claimed" }> {
  ensureClaimDir(p, owner);
  const result = claimTask(p, owner, key);
  if (result.kind !== "claimed") throw new Error(`claim of ${key} by ${owner}: ${result.kind}`);
  return result;
}

function readTask(file: string): Task {
  return readRecord(file, TaskSchema);
}

/** Reads everything an open descriptor shows, from the start. */
function readFd(fd: number): string {
  const chunks: Buffer[] = [];
  const buffer = Buffer.alloc(64 * 1024);
  for (let position = 0; ; ) {
    const n = readSync(fd, buffer, 0, buffer.length, position);
    if (n === 0) return Buffer.concat(chunks).toString("utf8");
    chunks.push(Buffer.from(buffer.subarray(0, n)));
    position += n;
  }
}

const sorted = (keys: string[]) => [...keys].sort();

// ---------------------------------------------------------------------------------------------------

test("invariant 1: publish is atomic — a concurrent reader never sees a partial inbox file; staging stays in tmp/", async () => {
  const count = 80;
  const bytes = 256 * 1024;
  const workers = await startWorkers([["publish", home.root, LEASE, String(count), String(bytes)]]);
  let finished = false;
  const results = goAll<{ published: string[] }>(workers).finally(() => {
    finished = true;
  });

  const problems: string[] = [];
  const checked = new Set<string>();
  let partialListings = 0;
  while (!finished) {
    const names = readdirSync(p.inbox).sort();
    if (names.length > 0 && names.length < count) partialListings++;
    for (const name of names) {
      if (!/^[0-9a-z]+\.json$/.test(name)) problems.push(`not a record name in inbox/: ${name}`);
      if (checked.has(name)) continue;
      checked.add(name);
      const parsed = parseRecord(readFileSync(join(p.inbox, name), "utf8"), TaskSchema);
      if (!parsed.ok) problems.push(`${name}: ${parsed.reason}`);
      else if (parsed.value.note?.length !== bytes) problems.push(`${name}: note of ${parsed.value.note?.length}`);
    }
    // Yield to the event loop (not a sleep): the worker's exit must be able to arrive.
    await new Promise((resolve) => setImmediate(resolve));
  }

  const [result] = await results;
  expect(problems).toEqual([]);
  // The reader really ran while tasks were being published.
  expect(partialListings).toBeGreaterThan(0);
  expect(listRecordKeys(p.inbox)).toEqual(sorted(result?.published ?? []));
  expect(readPending(p)).toHaveLength(count);
  expect(readdirSync(p.tmp)).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------

test("invariant 2: claim is exclusive — 4 processes racing over the same 500 inbox files claim every key exactly once", async () => {
  const keys = Array.from({ length: 500 }, () => publish(p, makeTask()));
  const owners = ["r-a", "r-b", "r-c", "r-d"];
  const results = await race<{ claimed: string[]; lost: number }>(
    owners.map((owner) => ["claim", home.root, LEASE, owner]),
  );

  const all = results.flatMap((r) => r.claimed);
  expect(all).toHaveLength(keys.length);
  expect(sorted(all)).toEqual(sorted(keys));
  // What each process believes it won is exactly what is in its claim directory.
  owners.forEach((owner, i) => {
    expect(listRecordKeys(claimDir(p, owner))).toEqual(sorted(results[i]?.claimed ?? []));
  });
  expect(listRecordKeys(p.inbox)).toEqual([]);
  // The processes did race: some claims were lost to another process.
  expect(results.reduce((n, r) => n + r.lost, 0)).toBeGreaterThan(0);
});

test("invariant 2: claim is exclusive — a rename that reported an error but happened is a claim; a lost race is lost-race", () => {
  // The claimer's rename happened although it saw an error (NFS): the source is gone, the target is there.
  const mine = publish(p, makeTask());
  ensureClaimDir(p, "r-a");
  renameSync(recordFile(p.inbox, mine), claimFile(p, "r-a", mine));
  expect(claimTask(p, "r-a", mine)).toMatchObject({ kind: "claimed", key: mine, file: claimFile(p, "r-a", mine) });

  // Another runner's rename won: the source is gone and the target is not there.
  const theirs = publish(p, makeTask());
  ensureClaimDir(p, "r-b");
  renameSync(recordFile(p.inbox, theirs), claimFile(p, "r-b", theirs));
  expect(claimTask(p, "r-a", theirs)).toEqual({ kind: "lost-race" });
  expect(existsSync(claimFile(p, "r-b", theirs))).toBe(true);
  expect(existsSync(claimFile(p, "r-a", theirs))).toBe(false);
});

// ---------------------------------------------------------------------------------------------------

test("invariant 3: finish before forget — after finishClaim the done record exists and the claim is gone", () => {
  const key = publish(p, makeTask());
  const claim = claimOrFail("r-a", key);
  finishClaim(p, claim.file, claim.task, makeOutcome({ state: "failed", exitCode: 3 }));

  expect(readDoneOne(p, claim.task.id)).toMatchObject({ state: "failed", exitCode: 3, task: { id: claim.task.id } });
  expect(existsSync(claim.file)).toBe(false);
  const snapshot = readSnapshot(p);
  expect(snapshot.claimed).toEqual([]);
  expect(snapshot.pending).toEqual([]);
});

test("invariant 3: finish before forget — when the done/ record cannot be written, the claim is kept", () => {
  const key = publish(p, makeTask());
  const claim = claimOrFail("r-a", key);
  // Make the rename into done/ fail (a file where the directory should be; works even as root).
  rmSync(p.done, { recursive: true });
  writeFileSync(p.done, "");

  expect(() => finishClaim(p, claim.file, claim.task, makeOutcome())).toThrow();
  expect(existsSync(claim.file)).toBe(true);
});

test("invariant 3: finish before forget — a runner's finish off its thread leaves the done record and no claim, and the claim until then", async () => {
  const key = publish(p, makeTask());
  const claim = claimOrFail("r-a", key);
  const finishing = finishClaimAsync(p, claim.file, claim.task, makeOutcome({ state: "succeeded", exitCode: 0 }));
  // Its record is staged, not yet in done/: the claim stands for the attempt meanwhile.
  expect(existsSync(claim.file)).toBe(true);
  expect(readDoneOne(p, claim.task.id)).toBeUndefined();
  await finishing;
  expect(readDoneOne(p, claim.task.id)).toMatchObject({ state: "succeeded", task: { id: claim.task.id } });
  expect(existsSync(claim.file)).toBe(false);
  expect(readdirSync(p.tmp)).toEqual([]);
});

test("invariant 3: finish before forget — when a runner's done/ record cannot be put in place, the claim is kept", async () => {
  const key = publish(p, makeTask());
  const claim = claimOrFail("r-a", key);
  rmSync(p.done, { recursive: true });
  writeFileSync(p.done, "");

  await expect(finishClaimAsync(p, claim.file, claim.task, makeOutcome())).rejects.toThrow();
  expect(existsSync(claim.file)).toBe(true);
});

test("invariant 3: finish before forget — a reader that sees both the claim and done/ trusts done/", () => {
  const key = publish(p, makeTask());
  const claim = claimOrFail("r-a", key);
  // A crash between the two steps of finishClaim: done/ written, claim not yet removed.
  writeRecordAtomic(p.tmp, recordFile(p.done, claim.task.id), makeDone(claim.task, { state: "succeeded" }));

  const snapshot = readSnapshot(p);
  expect(snapshot.claimed.map((c) => c.key)).toEqual([key]);
  expect(snapshot.done.map((d) => d.task.id)).toEqual([claim.task.id]);
  expect(latestState(snapshot).get(claim.task.id)).toMatchObject({ state: "done", done: { state: "succeeded" } });

  // Recovery of that runner trusts done/ as well: it removes the claim and does not run the task again.
  expect(recoverClaims(p, "r-a", "cli-1", ctx)).toEqual([{ task: key, outcome: "already-handled" }]);
  expect(listRecordKeys(p.inbox)).toEqual([]);
  expect(readSnapshot(p).claimed).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------

/** The file at `file` is replaced, not rewritten: a reader holding it still reads the whole old version. */
function expectReplacedNotEdited(file: string, change: () => void): { before: string; after: string } {
  const fd = openSync(file, "r");
  try {
    const before = readFileSync(file, "utf8");
    const inode = fstatSync(fd).ino;
    change();
    expect(statSync(file).ino).not.toBe(inode);
    expect(readFd(fd)).toBe(before);
    const after = readFileSync(file, "utf8");
    expect(after).not.toBe(before);
    return { before, after };
  } finally {
    closeSync(fd);
  }
}

test("invariant 4: nothing is edited in place — requeue gives inbox/K a new inode; a reader of the old one reads it whole", () => {
  const key = publish(p, makeTask({ note: "n".repeat(64 * 1024) }));
  const inboxFile = recordFile(p.inbox, key);
  const fd = openSync(inboxFile, "r");
  try {
    const before = readFileSync(inboxFile, "utf8");
    const inode = fstatSync(fd).ino;
    const claim = claimOrFail("r-a", key);
    requeueClaim(p, claim.file, claim.task, "interrupted", ctx);

    expect(statSync(inboxFile).ino).not.toBe(inode);
    const old = readFd(fd);
    expect(old).toBe(before);
    expect(parseRecord(old, TaskSchema)).toMatchObject({ ok: true, value: { attempt: 1 } });
    expect(readTask(inboxFile).attempt).toBe(2);
  } finally {
    closeSync(fd);
  }
  expect(readdirSync(p.tmp)).toEqual([]);
});

test("invariant 4: nothing is edited in place — heartbeats, control requests and done/ records are replaced by rename", () => {
  writeHeartbeat(p, makeHeartbeat({ counter: 1 }));
  const hb = expectReplacedNotEdited(heartbeatFile(p, "node1-100-abcdef"), () =>
    writeHeartbeat(p, makeHeartbeat({ counter: 2 })),
  );
  expect(parseRecord(hb.before, HeartbeatSchema)).toMatchObject({ value: { counter: 1 } });

  const task = makeTask();
  requestControl(p, task.id, "cancel", "cli-1", ctx.now);
  expectReplacedNotEdited(join(p.control, `${task.id}.cancel`), () =>
    requestControl(p, task.id, "cancel", "cli-2", ctx.now),
  );

  // A stale runner's late finish of attempt 1, then the real finish of attempt 2.
  const key = publish(p, { ...task, attempt: 2 });
  writeRecordAtomic(p.tmp, recordFile(p.done, task.id), makeDone(task));
  const claim = claimOrFail("r-b", key);
  expectReplacedNotEdited(recordFile(p.done, task.id), () => finishClaim(p, claim.file, claim.task, makeOutcome()));

  expect(readdirSync(p.tmp)).toEqual([]);
});

test("invariant 4: nothing is edited in place — the events log only grows, one writer per file", () => {
  const log = new EventLog(p, "r-a");
  log.append({ type: "claimed", task: "t1", attempt: 1 }, ctx.now);
  const first = readFileSync(eventsFile(p, "r-a"), "utf8");
  log.append({ type: "started", task: "t1", attempt: 1, pid: 7 }, ctx.now);
  log.close();
  const both = readFileSync(eventsFile(p, "r-a"), "utf8");

  expect(both.startsWith(first)).toBe(true);
  const lines = both.trimEnd().split("\n");
  expect(lines.map((line) => parseRecord(line, EventSchema).ok)).toEqual([true, true]);
  expect(readdirSync(p.events)).toEqual(["r-a.jsonl"]);
});

test("invariant 4: nothing is edited in place — lease.json changes under its lock: 4 processes adding 1 at once 50 times each lose none", async () => {
  const lease = { v: 1, id: LEASE, kind: "local", createdAt: new Date(0).toISOString(), host: "h", state: "active" };
  writeRecordAtomic(p.tmp, p.leaseFile, { ...lease, cpus: 1 });
  await race(Array.from({ length: 4 }, () => ["count-cpus", home.root, LEASE, "50"]));
  expect(readRecord(p.leaseFile, LeaseSchema)).toMatchObject({ cpus: 201, state: "active" });
  expect(existsSync(p.leaseLock)).toBe(false);
});

// ---------------------------------------------------------------------------------------------------

const T = 30_000;
const NOW = Date.parse("2025-06-01T12:00:00Z");

test("invariant 5: liveness by the observer's clock — a remote heartbeat's timestamp is ignored, only a counter standing still for T counts", () => {
  const pidAlive = (): boolean => {
    throw new Error("a pid of another host means nothing here");
  };
  for (const time of ["2099-01-01T00:00:00.000Z", "1971-01-01T00:00:00.000Z"]) {
    const hb = makeHeartbeat({ host: "node7", pid: 4242, counter: 5, time });
    const judge = (observation: ReturnType<typeof observe>, nowMs: number) =>
      judgeLiveness({ hb, observation, nowMs, staleAfterMs: T, localHost: "login1", pidAlive });

    const first = observe(undefined, hb, NOW);
    expect(first).toEqual({ counter: 5, seenAtMs: NOW });
    // A timestamp 70 years old is not stale, and one 70 years ahead does not keep a runner alive.
    expect(judge(first, NOW)).toBe("alive");
    expect(judge(first, NOW + T)).toBe("alive");
    // The same counter seen again later keeps the first sighting.
    expect(observe(first, hb, NOW + T)).toBe(first);
    expect(judge(observe(first, hb, NOW + T + 1), NOW + T + 1)).toBe("stale");

    // The counter moved: the clock starts again from the moment this observer saw it move.
    const moved = observe(first, { counter: 6 }, NOW + T - 1);
    expect(moved).toEqual({ counter: 6, seenAtMs: NOW + T - 1 });
    expect(judge(moved, NOW + 2 * T - 1)).toBe("alive");
    expect(judge(moved, NOW + 2 * T)).toBe("stale");
  }
});

test("invariant 5: liveness by the observer's clock — on the runner's own host a dead pid decides at once, else the counter standing still", () => {
  const judge = (time: number, alive: boolean, seenAtMs = NOW, state: "running" | "exited" = "running") =>
    judgeLiveness({
      hb: makeHeartbeat({ host: "node1", pid: 100, counter: 5, time: new Date(time).toISOString(), state }),
      observation: { counter: 5, seenAtMs },
      nowMs: NOW,
      staleAfterMs: T,
      localHost: "node1",
      pidAlive: (pid) => pid === 100 && alive,
    });

  expect(judge(NOW - 1000, true)).toBe("alive");
  // A dead pid is proof enough, however fresh the heartbeat.
  expect(judge(NOW, false)).toBe("stale");
  // A runner under another clock (faketime, a time namespace) writes times 10 minutes off: they decide nothing.
  expect(judge(NOW - 600_000, true)).toBe("alive");
  expect(judge(NOW + 600_000, true, NOW - T - 1)).toBe("stale");
  // A live pid (hung, or reused by another process) whose counter stood still for T.
  expect(judge(NOW, true, NOW - T - 1)).toBe("stale");
  expect(judge(NOW, true, NOW, "exited")).toBe("exited");
});

// ---------------------------------------------------------------------------------------------------

test("invariant 6: at-least-once, with attempt numbers — a stale runner's claims return to the inbox under the same keys with attempt+1 and crashes+1", () => {
  const keys = [makeTask(), makeTask({ crashes: 1 }), makeTask({ attempt: 3 })].map((t) => publish(p, t));
  for (const key of keys) claimOrFail("r-dead", key);

  const recoveries = recoverClaims(p, "r-dead", "cli-1", ctx);
  expect(recoveries).toEqual([
    { task: keys[0], outcome: "requeued", attempt: 2 },
    { task: keys[1], outcome: "requeued", attempt: 2 },
    { task: keys[2], outcome: "requeued", attempt: 4 },
  ]);
  expect(readPending(p).map((e) => [e.key, e.task.attempt, e.task.crashes])).toEqual([
    [keys[0], 2, 1],
    [keys[1], 2, 2],
    [keys[2], 4, 1],
  ]);
  expect(existsSync(claimDir(p, "r-dead"))).toBe(false);
  expect(readdirSync(claimDir(p, "cli-1"))).toEqual([]);
});

test("invariant 6: at-least-once, with attempt numbers — an interruption by rv is requeued without counting a crash", () => {
  const key = publish(p, makeTask({ crashes: 2, maxCrashes: 3 }));
  const claim = claimOrFail("r-a", key);
  expect(requeueClaim(p, claim.file, claim.task, "interrupted", ctx)).toMatchObject({
    requeued: true,
    task: { attempt: 2, crashes: 2 },
  });
  expect(readTask(recordFile(p.inbox, key))).toMatchObject({ attempt: 2, crashes: 2 });
  expect(existsSync(claim.file)).toBe(false);
});

test("invariant 6: at-least-once, with attempt numbers — a segment-end interruption records its reason and resume; a later requeue does not inherit them", () => {
  const key = publish(p, makeTask());
  const first = claimOrFail("r-a", key);
  requeueClaim(p, first.file, first.task, "interrupted", ctx, { reason: "segment end", resume: true });
  expect(readTask(recordFile(p.inbox, key))).toMatchObject({
    attempt: 2,
    crashes: 0,
    requeueReason: "segment end",
    resume: true,
  });
  const second = claimOrFail("r-b", key);
  requeueClaim(p, second.file, second.task, "crash", ctx);
  const third = readTask(recordFile(p.inbox, key));
  expect(third).toMatchObject({ attempt: 3, crashes: 1 });
  expect(third).not.toHaveProperty("resume");
  expect(third).not.toHaveProperty("requeueReason");
});

test("invariant 6: at-least-once, with attempt numbers — the crash limit turns the task into failed, with the reason", () => {
  const key = publish(p, makeTask({ crashes: 2, maxCrashes: 3 }));
  const claim = claimOrFail("r-dead", key);

  const [recovery] = recoverClaims(p, "r-dead", "cli-1", ctx);
  expect(recovery).toMatchObject({ task: key, outcome: "failed", reason: expect.stringMatching(/crash limit 3/) });
  expect(readDoneOne(p, claim.task.id)).toMatchObject({
    state: "failed",
    reason: expect.stringMatching(/lost 3 times/),
    task: { crashes: 3 },
  });
  expect(listRecordKeys(p.inbox)).toEqual([]);
  expect(readSnapshot(p).claimed).toEqual([]);
});

test("invariant 6: at-least-once, with attempt numbers — two concurrent recoverers of the same stale runner requeue each task exactly once", async () => {
  const keys = Array.from({ length: 300 }, () => publish(p, makeTask()));
  for (const key of keys) claimOrFail("r-dead", key);

  const results = await race<{ recoveries: Recovery[] }>([
    ["recover", home.root, LEASE, "r-dead", "q-1"],
    ["recover", home.root, LEASE, "r-dead", "q-2"],
  ]);

  const all = results.flatMap((r) => r.recoveries);
  expect(all.every((r) => r.outcome === "requeued")).toBe(true);
  expect(sorted(all.map((r) => r.task))).toEqual(sorted(keys));
  const pending = readPending(p);
  expect(pending.map((e) => e.key)).toEqual(sorted(keys));
  expect(pending.every((e) => e.task.attempt === 2 && e.task.crashes === 1)).toBe(true);
  expect(readSnapshot(p).claimed).toEqual([]);
});

test("invariant 6: at-least-once, with attempt numbers — a recovery that finds a newer copy does not requeue again", () => {
  const [inInbox, inDone, inClaim, orphan] = [makeTask(), makeTask(), makeTask(), makeTask()];
  // A recoverer that died mid-way left takeovers of attempt 1 in its claim directory.
  ensureClaimDir(p, "q-dead");
  for (const task of [inInbox, inDone, inClaim, orphan]) {
    writeRecordAtomic(p.tmp, join(claimDir(p, "q-dead"), `${task.id}.recovering`), task);
  }
  // ... after it had already republished one, failed one and one had since been claimed again.
  publish(p, { ...inInbox, attempt: 2, crashes: 1 });
  writeRecordAtomic(p.tmp, recordFile(p.done, inDone.id), makeDone({ ...inDone, attempt: 2 }, { state: "failed" }));
  ensureClaimDir(p, "r-live");
  writeRecordAtomic(p.tmp, claimFile(p, "r-live", inClaim.id), { ...inClaim, attempt: 2, crashes: 1 });
  const inboxInode = statSync(recordFile(p.inbox, inInbox.id)).ino;

  const recoveries = recoverClaims(p, "q-dead", "q-2", ctx);
  expect(recoveries).toEqual([
    { task: inInbox.id, outcome: "already-handled" },
    { task: inDone.id, outcome: "already-handled" },
    { task: inClaim.id, outcome: "already-handled" },
    { task: orphan.id, outcome: "requeued", attempt: 2 },
  ]);
  // Untouched: not rewritten, not requeued a second time.
  expect(statSync(recordFile(p.inbox, inInbox.id)).ino).toBe(inboxInode);
  expect(listRecordKeys(p.inbox)).toEqual([inInbox.id, orphan.id]);
  expect(readTask(claimFile(p, "r-live", inClaim.id)).attempt).toBe(2);
  expect(readDoneOne(p, inDone.id)?.state).toBe("failed");
  expect(readdirSync(claimDir(p, "q-2"))).toEqual([]);
});

// ---------------------------------------------------------------------------------------------------

test("invariant 7: bad input never stops the queue — garbage and schema-breaking files go to bad/ with a .why; valid tasks around them are claimed", () => {
  const [a, garbage, b, broken, c] = [makeTask(), makeTask(), makeTask(), makeTask(), makeTask()];
  publish(p, a);
  writeFileSync(recordFile(p.inbox, garbage.id), '{"v":1,"id":"trunc');
  publish(p, b);
  writeFileSync(recordFile(p.inbox, broken.id), JSON.stringify({ ...broken, gpus: "two" }));
  publish(p, c);

  ensureClaimDir(p, "r-a");
  // A reader lists around them without failing.
  expect(readPending(p).map((e) => e.key)).toEqual([a.id, b.id, c.id]);

  const results = listRecordKeys(p.inbox).map((key) => [key, claimTask(p, "r-a", key)] as const);
  expect(results.filter(([, r]) => r.kind === "claimed").map(([key]) => key)).toEqual([a.id, b.id, c.id]);
  expect(Object.fromEntries(results.filter(([, r]) => r.kind === "quarantined"))).toEqual({
    [garbage.id]: { kind: "quarantined", reason: expect.stringMatching(/^not JSON/) },
    [broken.id]: { kind: "quarantined", reason: expect.stringMatching(/^schema: gpus:/) },
  });

  const bad = listBad(p);
  expect(bad).toHaveLength(2);
  const why = Object.fromEntries(
    bad.map((name) => [name.split(".")[0], readFileSync(join(p.bad, `${name}.why`), "utf8")]),
  );
  expect(why[garbage.id]).toMatch(/^not JSON/);
  expect(why[broken.id]).toMatch(/^schema: gpus:/);
  expect(listRecordKeys(p.inbox)).toEqual([]);
  expect(listRecordKeys(claimDir(p, "r-a"))).toEqual([a.id, b.id, c.id]);
});

// ---------------------------------------------------------------------------------------------------

test("invariant 8: versioned records — a record with v: 2 or without v is rejected with a clear message, not guessed at", () => {
  const task = makeTask();
  const records = [
    [TaskSchema, task],
    [DoneSchema, makeDone(task)],
    [HeartbeatSchema, makeHeartbeat()],
    [EventSchema, { v: 1, time: "2025-01-01T00:00:00.000Z", runner: "r-a", type: "claimed", task: task.id }],
    [
      LeaseSchema,
      { v: 1, id: LEASE, kind: "local", createdAt: "2025-01-01T00:00:00.000Z", host: "h", state: "active" },
    ],
    [
      ControlSchema,
      { v: 1, verb: "cancel", target: task.id, requestedAt: "2025-01-01T00:00:00.000Z", requestedBy: "c" },
    ],
  ] as const;
  for (const [schema, record] of records) {
    expect(parseRecord(JSON.stringify(record), schema as never).ok).toBe(true);
    expect(parseRecord(JSON.stringify({ ...record, v: 2 }), schema as never)).toEqual({
      ok: false,
      version: 2,
      reason: `protocol version v=2, this rv reads v=${PROTOCOL_VERSION} (upgrade rv)`,
    });
    const { v: _dropped, ...unversioned } = record;
    expect(parseRecord(JSON.stringify(unversioned), schema as never)).toEqual({
      ok: false,
      reason: "no protocol version field `v`",
    });
    expect(parseRecord(JSON.stringify({ ...record, v: "1" }), schema as never)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/^protocol version v="1"/),
    });
  }

  // A reader that must have the record says why, with a code the CLI maps to an exit status.
  const file = recordFile(p.done, task.id);
  writeFileSync(file, JSON.stringify({ ...makeDone(task), v: 2 }));
  expect(() => readRecord(file, DoneSchema)).toThrow(
    expect.objectContaining({ code: "unsupported_version", message: expect.stringMatching(/v=2.*upgrade rv/) }),
  );
  expect(() => readRecord(file, DoneSchema)).toThrow(RvError);
  writeFileSync(file, JSON.stringify({ ...makeDone(task), v: undefined }));
  expect(() => readRecord(file, DoneSchema)).toThrow(/no protocol version field `v`/);
  expect(readSnapshot(p).done).toEqual([]);

  // A runner does not run a task it cannot read: it is set aside with the reason.
  writeFileSync(recordFile(p.inbox, task.id), JSON.stringify({ ...task, v: 2 }));
  ensureClaimDir(p, "r-a");
  expect(claimTask(p, "r-a", task.id)).toEqual({
    kind: "quarantined",
    reason: "protocol version v=2, this rv reads v=1 (upgrade rv)",
  });
  expect(listBad(p)).toHaveLength(1);
});
