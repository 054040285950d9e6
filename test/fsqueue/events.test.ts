import { appendFileSync, utimesSync } from "node:fs";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { EventLog, eventsFile, type LeasePaths, readEvents, readEventsSince } from "../../src/fsqueue/index.ts";
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
    const since = readEventsSince(p, RUNNER, T0 + 1234 * 1000);
    expect(since).toHaveLength(8000 - 1234);
    expect(since[0]?.task).toBe("t1234");
    expect(since.at(-1)?.task).toBe("t7999");
    expect(since).toEqual(readEvents(p, RUNNER).slice(1234));
    expect(readEventsSince(p, RUNNER, T0)).toHaveLength(8000);
  });

  test("of some types only: the others are not parsed", () => {
    writeEvents(3);
    new EventLog(p, RUNNER).append({ type: "finished", task: "t2", attempt: 1 }, new Date(T0 + 5000));
    expect(readEventsSince(p, RUNNER, T0 + 1000, ["finished"]).map((e) => [e.type, e.task])).toEqual([
      ["finished", "t2"],
    ]);
  });

  test("a torn last line is skipped, as readEvents skips it; a missing log has none", () => {
    writeEvents(3);
    appendFileSync(eventsFile(p, RUNNER), '{"v":1,"time":"2025-01-01T00:00:09.000Z","runn');
    expect(readEventsSince(p, RUNNER, T0 + 1000).map((e) => e.task)).toEqual(["t1", "t2"]);
    expect(readEventsSince(p, "nobody", T0)).toEqual([]);
  });

  test("a log last written before the time is not read at all", () => {
    writeEvents(3);
    // Its last line says later than it was written: only its mtime can tell it apart, and it does.
    appendFileSync(
      eventsFile(p, RUNNER),
      `${JSON.stringify({ v: 1, time: "2030-01-01T00:00:00.000Z", runner: RUNNER, type: "draining" })}\n`,
    );
    const written = new Date(T0 + 60_000);
    utimesSync(eventsFile(p, RUNNER), written, written);
    expect(readEventsSince(p, RUNNER, T0 + 120_000)).toEqual([]);
    expect(readEventsSince(p, RUNNER, T0 + 30_000)).toHaveLength(1);
  });
});
