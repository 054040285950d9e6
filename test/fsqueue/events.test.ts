import { appendFileSync, utimesSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  EVENTS_SLACK_MS,
  EventLog,
  eventsFile,
  type LeasePaths,
  type RvEvent,
  readEvents,
  readEventsSince,
  readLatestEvent,
  readLeaseEvents,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { openLease } from "./factory.ts";

// A runner's events log read from its end, back to a time: what a lease's GPU history reads of a long history.
const RUNNER = "node1-100-abcdef";
const T0 = Date.parse("2025-01-01T00:00:00Z");

let home: { root: string; cleanup: () => void };
let p: LeasePaths;
beforeEach(() => {
  home = makeHome();
  p = openLease(home.root);
});
afterEach(() => home.cleanup());

/** One line of RUNNER's log, as its EventLog writes it. */
function line(timeMs: number, type: RvEvent["type"], task?: string): string {
  const event = { v: 1, time: new Date(timeMs).toISOString(), runner: RUNNER, type, ...(task && { task, attempt: 1 }) };
  return `${JSON.stringify(event)}\n`;
}

/** `count` events a second apart from T0, each naming its number as its task (long enough to cross chunks). */
function writeEvents(count: number): void {
  const log = new EventLog(p, RUNNER);
  for (let i = 0; i < count; i++) {
    log.append({ type: "started", task: `t${i}`, attempt: 1, detail: "x".repeat(100) }, new Date(T0 + i * 1000));
  }
  log.close();
}

describe("readEventsSince", () => {
  test("the events from a time on, oldest first, across the chunks it reads (8,000 lines, ~1.5 MB)", () => {
    writeEvents(8000);
    const since = readEventsSince(p, RUNNER, { sinceMs: T0 + 1234 * 1000 });
    expect(since).toHaveLength(8000 - 1234);
    expect(since[0]?.task).toBe("t1234");
    expect(since.at(-1)?.task).toBe("t7999");
    expect(since).toEqual(readEvents(p, RUNNER).slice(1234));
    expect(readEventsSince(p, RUNNER, { sinceMs: T0 })).toHaveLength(8000);
  });

  test("of some types only: the others are not parsed", () => {
    writeEvents(3);
    new EventLog(p, RUNNER).append({ type: "finished", task: "t2", attempt: 1 }, new Date(T0 + 5000));
    expect(
      readEventsSince(p, RUNNER, { sinceMs: T0 + 1000, types: ["finished"] }).map((e) => [e.type, e.task]),
    ).toEqual([["finished", "t2"]]);
  });

  test("a torn last line is skipped, as readEvents skips it; a missing log has none", () => {
    writeEvents(3);
    appendFileSync(eventsFile(p, RUNNER), '{"v":1,"time":"2025-01-01T00:00:09.000Z","runn');
    expect(readEventsSince(p, RUNNER, { sinceMs: T0 + 1000 }).map((e) => e.task)).toEqual(["t1", "t2"]);
    expect(readEventsSince(p, "nobody", { sinceMs: T0 })).toEqual([]);
  });

  test("a log last written before the time (by more than a clock's step back) is not read at all", () => {
    writeEvents(3);
    // Its last line says later than it was written: only its mtime can tell it apart, and it does.
    appendFileSync(eventsFile(p, RUNNER), line(Date.parse("2030-01-01T00:00:00.000Z"), "draining"));
    const written = new Date(T0 + 60_000);
    utimesSync(eventsFile(p, RUNNER), written, written);
    expect(readEventsSince(p, RUNNER, { sinceMs: written.getTime() + EVENTS_SLACK_MS + 1000 })).toEqual([]);
    expect(readEventsSince(p, RUNNER, { sinceMs: T0 + 30_000 })).toHaveLength(1);
  });

  test("a line of another type that names the type asked elsewhere is not taken for one", () => {
    writeEvents(1);
    // A later version's event with an object of its own that has a "type": parsed, its own type is draining.
    const later = JSON.parse(line(T0 + 2000, "draining"));
    appendFileSync(eventsFile(p, RUNNER), `${JSON.stringify({ ...later, cause: { type: "finished" } })}\n`);
    expect(readEventsSince(p, RUNNER, { types: ["finished"] })).toEqual([]);
    expect(readEventsSince(p, RUNNER, { types: ["draining"] })).toHaveLength(1);
  });

  test("a clock set back a few minutes: the lines after the step are read past it, back to the window", () => {
    writeEvents(600); // T0 to T0 + 599 s
    // The clock steps back two minutes: the log's last lines say earlier than the one before them.
    appendFileSync(eventsFile(p, RUNNER), line(T0 + 480_000, "started", "late"));
    appendFileSync(eventsFile(p, RUNNER), line(T0 + 490_000, "finished", "late"));
    const tasks = readEventsSince(p, RUNNER, { sinceMs: T0 + 550_000 }).map((e) => e.task);
    expect(tasks).toEqual(Array.from({ length: 50 }, (_, i) => `t${550 + i}`));
  });
});

describe("readLatestEvent", () => {
  test("a task's latest event that matches, read back from the log's end across chunks (8,000 lines)", () => {
    writeEvents(8000);
    const log = new EventLog(p, RUNNER);
    log.append({ type: "started", task: "t7990", attempt: 2 }, new Date(T0 + 9_000_000));
    log.close();
    const startedOf = (task: string, attempt?: number) =>
      readLatestEvent(p, RUNNER, task, (e) => e.type === "started" && (attempt === undefined || e.attempt === attempt));
    expect(startedOf("t7990")?.attempt).toBe(2);
    expect(startedOf("t7990", 1)?.time).toBe(new Date(T0 + 7990 * 1000).toISOString());
    // The first line of the log: every chunk back to the start is read.
    expect(startedOf("t0")?.time).toBe(new Date(T0).toISOString());
    expect(startedOf("t8000")).toBeUndefined();
    expect(readLatestEvent(p, "no-such-runner", "t0", () => true)).toBeUndefined();
  });
});

describe("readLeaseEvents", () => {
  test("every runner's log, each oldest first; all of them, or since a time, of some types", () => {
    writeEvents(3);
    const other = new EventLog(p, "node2-200-fedcba");
    other.append({ type: "started", task: "u1", attempt: 1 }, new Date(T0 + 500));
    other.append({ type: "finished", task: "u1", attempt: 1 }, new Date(T0 + 2500));
    other.close();
    const ids = (wanted: Parameters<typeof readLeaseEvents>[1]) =>
      readLeaseEvents(p, wanted).map((e) => `${e.runner.slice(0, 5)} ${e.type} ${e.task}`);
    expect(ids({})).toEqual([
      "node1 started t0",
      "node1 started t1",
      "node1 started t2",
      "node2 started u1",
      "node2 finished u1",
    ]);
    expect(ids({ sinceMs: T0 + 1000, types: ["started"] })).toEqual(["node1 started t1", "node1 started t2"]);
  });
});
