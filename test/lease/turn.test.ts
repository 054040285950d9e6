import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Race } from "../../src/allocator/index.ts";
import {
  type LeasePaths,
  lockSightingFile,
  lockToken,
  PROTOCOL_VERSION,
  type Segment,
  segmentTurnFile,
} from "../../src/fsqueue/index.ts";
import {
  giveTurnBack,
  readSegments,
  STALE_TURN_MS,
  takeRaceTurn,
  takeSegmentTurn,
  writeRace,
  writeSegment,
} from "../../src/lease/index.ts";
import { LEASE, openLease } from "../fsqueue/factory.ts";
import { deadPid } from "../fsqueue/workers.ts";
import { makeHome } from "../helpers/home.ts";

let home: ReturnType<typeof makeHome>;
let p: LeasePaths;
let file = "";
beforeEach(() => {
  home = makeHome("rv-turn-");
  p = openLease(home.root);
  file = segmentTurnFile(p, 3);
});
afterEach(() => home.cleanup());

const NOW = Date.parse("2025-06-01T12:00:00Z");
const at = (ms: number) => new Date(NOW + ms);

/** Segment `n` as the supervisor that submitted it recorded it. */
function segment(n: number): Segment {
  const submittedAt = at(0).toISOString();
  return {
    v: PROTOCOL_VERSION,
    lease: LEASE,
    n,
    jobId: `90${n}`,
    submittedAt,
    submittedBy: "rv",
    after: null,
    wallSeconds: 600,
  };
}

/** Race `attempt` as written before its jobs are submitted. */
function race(attempt: number): Race {
  return {
    ...{ v: 1, lease: LEASE, attempt, startedAt: at(0).toISOString(), profile: null, shapes: false, entries: [] },
    request: {
      ...{ gpus: 1, types: [], minVramGb: null, cpus: null, memMiB: null, totalSeconds: 3600 },
      ...{ segmentSeconds: null, nodes: null, partition: null, account: null },
    },
    decision: { at: NOW / 1000, candidates: [] },
  };
}

/** Leaves the turn as a supervisor on `host` would have taken it at `when` by its own clock, mtime included. */
function leaveTurn(host: string, pid: number, when: Date): void {
  writeFileSync(file, `${lockToken(host, pid, "n0nce", when)}\n`);
  utimesSync(file, when, when);
}

describe("a lease's turns (takeSegmentTurn, takeRaceTurn)", () => {
  test("of two lookers, the first gets the turn; given back, the next look gets it", () => {
    const turn = takeSegmentTurn(p, 3, at(0));
    expect(turn).not.toBeNull();
    expect(takeSegmentTurn(p, 3, at(0))).toBeNull();
    if (turn) giveTurnBack(turn);
    expect(takeSegmentTurn(p, 3, at(0))).not.toBeNull();
  });

  test("a finished supervisor's turn on this host is not taken at once: its pid is dead by design, only standing still for STALE_TURN_MS counts", async () => {
    // A supervisor takes the turn, submits, keeps the turn and exits: its pid is dead from then on.
    leaveTurn(hostname(), await deadPid(), at(0));
    expect(takeSegmentTurn(p, 3, at(0))).toBeNull();
    expect(takeSegmentTurn(p, 3, at(STALE_TURN_MS))).toBeNull();
    // Still after that and nothing on record: it died before it recorded what it submitted.
    const looks = [takeSegmentTurn(p, 3, at(STALE_TURN_MS + 1)), takeSegmentTurn(p, 3, at(STALE_TURN_MS + 1))];
    expect(looks.map((turn) => turn !== null)).toEqual([true, false]);
  });

  test("a look that read the segments before segment n was recorded backs off when it gets the turn: nothing is submitted twice", async () => {
    leaveTurn(hostname(), await deadPid(), at(0));
    writeSegment(p, segment(3));
    expect(takeSegmentTurn(p, 3, at(0))).toBeNull();
    expect(takeSegmentTurn(p, 3, at(STALE_TURN_MS + 1))).toBeNull();
    // The turn it took stands for the segment on record: the next look backs off too, and the record is untouched.
    expect(takeSegmentTurn(p, 3, at(2 * STALE_TURN_MS + 2))).toBeNull();
    expect(readSegments(p)).toEqual([segment(3)]);
    // A turn nobody holds (an older rv's, given back) is no way around the record either.
    writeSegment(p, segment(4));
    expect(takeSegmentTurn(p, 4, at(0))).toBeNull();
    expect(takeSegmentTurn(p, 5, at(0))).not.toBeNull();
  });

  test("a race attempt already on record, or a later one, is not raced again by a look that gets its turn", () => {
    writeRace(p, race(2));
    expect(takeRaceTurn(p, 1, at(0))).toBeNull();
    expect(takeRaceTurn(p, 2, at(0))).toBeNull();
    expect(takeRaceTurn(p, 3, at(0))).not.toBeNull();
  });

  test("a turn taken on a host whose clock is 10 minutes off is taken over only after this host saw it stand still for STALE_TURN_MS, look after look", () => {
    for (const skewMs of [10 * 60_000, -10 * 60_000]) {
      leaveTurn("node7", 4242, at(skewMs));
      // Each look is another supervisor process: what this host saw lives beside the turn file.
      expect(takeSegmentTurn(p, 3, at(0))).toBeNull();
      expect(existsSync(lockSightingFile(file, hostname()))).toBe(true);
      expect(takeSegmentTurn(p, 3, at(STALE_TURN_MS))).toBeNull();
      const turn = takeSegmentTurn(p, 3, at(STALE_TURN_MS + 1));
      expect(turn).not.toBeNull();
      expect(readFileSync(file, "utf8")).toBe(`${turn?.token}\n`);
      expect(existsSync(lockSightingFile(file, hostname()))).toBe(false);
    }
  });

  test("a turn taken again meanwhile starts this host's watch again", () => {
    leaveTurn("node7", 4242, at(0));
    expect(takeSegmentTurn(p, 3, at(0))).toBeNull();
    leaveTurn("node8", 99, at(STALE_TURN_MS));
    expect(takeSegmentTurn(p, 3, at(STALE_TURN_MS + 1))).toBeNull();
    expect(takeSegmentTurn(p, 3, at(2 * STALE_TURN_MS + 1))).toBeNull();
    expect(takeSegmentTurn(p, 3, at(2 * STALE_TURN_MS + 2))).not.toBeNull();
  });

  test("a slow supervisor whose turn was taken over does not give back its successor's turn", () => {
    const slow = takeSegmentTurn(p, 3, at(0));
    expect(takeSegmentTurn(p, 3, at(0))).toBeNull();
    const successor = takeSegmentTurn(p, 3, at(STALE_TURN_MS + 1));
    expect(slow).not.toBeNull();
    expect(successor).not.toBeNull();
    if (slow) giveTurnBack(slow);
    expect(readFileSync(file, "utf8")).toBe(`${successor?.token}\n`);
    expect(readdirSync(p.segments).filter((name) => name.startsWith("3.turn"))).toEqual(["3.turn"]);
  });

  test("what this host saw of a turn is a v1 record beside it: the token and when, by this host's clock", () => {
    leaveTurn("node7", 4242, at(60 * 60_000));
    takeSegmentTurn(p, 3, at(0));
    expect(JSON.parse(readFileSync(lockSightingFile(file, hostname()), "utf8"))).toEqual({
      v: 1,
      observer: hostname(),
      token: lockToken("node7", 4242, "n0nce", at(60 * 60_000)),
      seenAtMs: NOW,
    });
  });
});
