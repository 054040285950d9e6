/** A valid record a runner still refuses: another lease's task, or an attempt of a task id that ran already. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import {
  admissionFacts,
  archiveDone,
  type LeasePaths,
  nextAttempt,
  recordFile,
  refusalOf,
  taskLogFile,
  writeRecordAtomic,
} from "../../src/fsqueue/index.ts";
import { makeHome } from "../helpers/home.ts";
import { LEASE, makeDone, makeTask, openLease } from "./factory.ts";

describe("refusalOf", () => {
  const fresh = { lease: LEASE, finishedAttempt: undefined, attemptLogged: false };

  test("a new task of this lease runs", () => {
    expect(refusalOf(makeTask(), fresh)).toBeUndefined();
  });

  test("a task naming another lease is refused, with both names", () => {
    const task = makeTask({ lease: "elsewhere" });
    expect(refusalOf(task, fresh)).toBe(
      `task ${task.id} belongs to lease elsewhere, not to this lease (${LEASE}): submit it there`,
    );
  });

  test("an attempt at or below the one in the done record is refused; the next attempt (a requeue, a retry) runs", () => {
    const task = makeTask({ attempt: 2 });
    const done = { ...fresh, finishedAttempt: 2 };
    expect(refusalOf(task, done)).toBe(
      `task ${task.id} attempt 2 ran already (its done record is attempt 2): rv requeue ${task.id} runs it again as a new attempt`,
    );
    expect(refusalOf({ ...task, attempt: 1 }, done)).toMatch(/attempt 1 ran already/);
    expect(refusalOf(nextAttempt(task, "asked"), done)).toBeUndefined();
    expect(refusalOf(nextAttempt(task, "retry"), done)).toBeUndefined();
  });

  test("an attempt whose logs exist (it started, and has not finished) is refused", () => {
    const task = makeTask();
    expect(refusalOf(task, { ...fresh, attemptLogged: true })).toBe(
      `task ${task.id} attempt 1 ran already (its logs exist): rv requeue ${task.id} runs it again as a new attempt`,
    );
  });
});

describe("admissionFacts", () => {
  let home: { root: string; cleanup: () => void };
  let p: LeasePaths;
  beforeEach(() => {
    home = makeHome();
    p = openLease(home.root);
  });
  afterEach(() => home.cleanup());

  test("reads the done record, an archived one, and the attempt's logs", () => {
    const task = makeTask({ attempt: 3 });
    expect(admissionFacts(p, LEASE, task)).toEqual({ lease: LEASE, finishedAttempt: undefined, attemptLogged: false });

    const err = taskLogFile(p, task.id, 3, "err");
    mkdirSync(dirname(err), { recursive: true });
    writeFileSync(err, "");
    expect(admissionFacts(p, LEASE, task).attemptLogged).toBe(true);
    expect(admissionFacts(p, LEASE, { ...task, attempt: 4 }).attemptLogged).toBe(false);

    const done = makeDone(task);
    writeRecordAtomic(p.tmp, recordFile(p.done, task.id), done);
    expect(admissionFacts(p, LEASE, task).finishedAttempt).toBe(3);
    // `rv clean` put it away (its logs too): the id is still taken.
    expect(archiveDone(p, done)).toBe(true);
    expect(admissionFacts(p, LEASE, task)).toEqual({ lease: LEASE, finishedAttempt: 3, attemptLogged: false });
  });
});
