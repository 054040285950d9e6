import { utimesSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { giveTurnBack, STALE_TURN_MS, takeTurn } from "../../src/lease/index.ts";
import { makeHome } from "../helpers/home.ts";

let home: ReturnType<typeof makeHome>;
let file = "";
beforeEach(() => {
  home = makeHome("rv-turn-");
  file = join(home.root, "3.turn");
});
afterEach(() => home.cleanup());

describe("takeTurn", () => {
  test("of two lookers, the first gets the turn; given back, the next look gets it", () => {
    const now = new Date();
    expect(takeTurn(file, now)).toBe(true);
    expect(takeTurn(file, now)).toBe(false);
    giveTurnBack(file);
    expect(takeTurn(file, now)).toBe(true);
  });

  test("a turn its holder never finished is taken over once it is stale, by one looker only", () => {
    const now = new Date();
    expect(takeTurn(file, now)).toBe(true);
    const old = new Date(now.getTime() - STALE_TURN_MS - 1000);
    utimesSync(file, old, old);
    expect([takeTurn(file, now), takeTurn(file, now)]).toEqual([true, false]);
  });
});
