import { describe, expect, it } from "vitest";
import { formatIn, gpusText } from "../../../src/cli/ui/format.ts";

// Local clock times, so the expectations hold in any time zone.
const at = (day: number, hours: number, minutes = 0, seconds = 0) =>
  new Date(2026, 10, day, hours, minutes, seconds).getTime() / 1000;
const now = at(23, 12);

describe("formatIn", () => {
  it("says now for a start that has come", () => {
    expect(formatIn(now, now)).toBe("now");
    expect(formatIn(now - 90, now)).toBe("now");
  });

  it("counts minutes within the hour, never 0", () => {
    expect(formatIn(now + 20, now)).toBe("in 1m");
    expect(formatIn(at(23, 12, 3), now)).toBe("in 3m");
    expect(formatIn(at(23, 12, 59, 10), now)).toBe("in 59m");
  });

  it("gives the clock time past the hour", () => {
    expect(formatIn(at(23, 12, 59, 40), now)).toBe("~13:00");
    expect(formatIn(at(23, 14, 5), now)).toBe("~14:05");
    expect(formatIn(at(23, 23, 59), now)).toBe("~23:59");
  });

  it("adds the weekday past half a day, then only the date", () => {
    expect(formatIn(at(24, 9, 5), now)).toBe("~Tue 09:05");
    expect(formatIn(at(28, 11), now)).toBe("~Sat 11:00");
    expect(formatIn(at(30, 12), now)).toBe("~Nov 30");
  });
});

describe("gpusText", () => {
  it("gives the count first and the ids given in brackets, so GPU 0 never reads as no GPU", () => {
    expect(gpusText({ gpus: 0, assignedGpus: [] })).toBe("0");
    expect(gpusText({ gpus: 2, assignedGpus: [] })).toBe("2");
    expect(gpusText({ gpus: 1, assignedGpus: ["0"] })).toBe("1 [0]");
    expect(gpusText({ gpus: 2, assignedGpus: ["2", "3"] })).toBe("2 [2,3]");
  });
});
