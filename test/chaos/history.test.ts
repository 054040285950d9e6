import { describe, expect, test } from "vitest";
import { judgeRun, parseMarks, renderTable, summarize, type TaskHistory } from "../../chaos/history.ts";

const task = (id: string, finalState: string | null, marks: string, allowed = ["succeeded"]): TaskHistory => ({
  id,
  finalState,
  allowed,
  marks: parseMarks(marks),
});

describe("the chaos judge", () => {
  test("a task rv does not list, or shows still running at the end, is lost; a waiting task is not where allowed", () => {
    const verdict = judgeRun(
      [
        task("a", null, ""),
        task("b", "running", "start 1 10"),
        task("c", "pending", "", ["succeeded", "pending"]),
        task("d", "succeeded", "start 1 10\nend 1 20"),
      ],
      null,
    );
    expect(verdict).toMatchObject({ tasks: 4, lost: 2, twice: 0, wrongFinal: 0 });
  });

  test("an attempt that found the lock held ran twice at once; a rerun after an end ran again", () => {
    const verdict = judgeRun(
      [
        task("a", "succeeded", "start 1 10\ntwice 2 15\nend 1 20"),
        task("b", "succeeded", "start 1 10\nend 1 20\nstart 2 30\nend 2 40"),
        task("c", "failed", "start 1 10\nend 1 20"),
      ],
      null,
    );
    expect(verdict).toMatchObject({ twice: 1, again: 1, wrongFinal: 1 });
    expect(verdict.problems).toEqual([
      "a: an attempt started while another still ran",
      "c: ended failed, expected succeeded",
    ]);
  });

  test("recovery: from the fault to the next attempt of a task that had started before it", () => {
    const verdict = judgeRun(
      [
        task("a", "succeeded", "start 1 100\nstart 2 1400\nend 2 1500"),
        task("b", "succeeded", "start 1 900\nend 1 950"),
      ],
      1000,
    );
    expect(verdict.recoveryMs).toBe(400);
  });

  test("the table sums the runs and shows the worst recovery in seconds", () => {
    const runs = [
      judgeRun([task("a", "succeeded", "start 1 0\nstart 2 2500")], 1000),
      judgeRun([task("b", null, "")], null),
    ];
    const row = summarize("kill", runs);
    expect(row).toMatchObject({ runs: 2, tasks: 2, lost: 1, again: 0, maxRecoveryMs: 1500 });
    expect(renderTable([row])).toMatch(/\| kill\s+\| 2\s+\| 2\s+\| 1\s+\| 0\s+\| 0\s+\| 0\s+\| 1\.5 s\s+\|/);
  });
});
